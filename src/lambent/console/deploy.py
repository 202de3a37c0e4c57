"""Deploy by zip upload: a new function, or new code for one. The browser sends the form as
multipart (htmx reports the upload's progress); the zip goes to ``FunctionService`` as the API's
CreateFunction and UpdateFunctionCode give it, and is refused in the same words when it is not
a zip a function can run."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from lambent.console.shell import FORM_LIMIT_BYTES, Shell, Visitor
from lambent.errors import ApiError, InvalidParameterValueException, RequestEntityTooLargeException
from lambent.model.function import CreateFunctionInput, FunctionCodeInput, UpdateFunctionCodeInput
from lambent.model.limits import ZIPPED_LIMIT_BYTES
from lambent.services.iam import IamService

RUNTIMES = ("python3.13", "python3.12", "python3.11", "nodejs22.x", "nodejs20.x", "provided.al2023")


async def _zip(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > FORM_LIMIT_BYTES:
        raise RequestEntityTooLargeException(f"A zip uploaded here is at most {ZIPPED_LIMIT_BYTES} bytes.")
    upload = (await request.form(max_files=1, max_fields=20)).get("zip")
    if not isinstance(upload, UploadFile):
        raise InvalidParameterValueException("Choose a .zip file to upload.")
    data = await upload.read(ZIPPED_LIMIT_BYTES + 1)
    if not data:
        raise InvalidParameterValueException("The uploaded file is empty.")
    if len(data) > ZIPPED_LIMIT_BYTES:
        raise RequestEntityTooLargeException(f"A zip uploaded here is at most {ZIPPED_LIMIT_BYTES} bytes.")
    return data


def _int(value: object, name: str, default: int) -> int:
    text = str(value or "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise InvalidParameterValueException(f"{name} is a whole number.")
    return int(text)


class DeployPages:
    def __init__(self, shell: Shell, iam: IamService) -> None:
        self._shell = shell
        self._iam = iam

    async def form(self, request: Request, visitor: Visitor) -> Response:
        roles: list[str] = []
        try:
            await self._shell.check_action(request, visitor, "iam:ListRoles", "*")
            roles = [r.arn for r in await self._iam.list_roles(visitor.principal.account_id, "/")]
        except ApiError:
            pass  # the role is typed in instead
        return self._shell.render(request, "deploy.html", visitor, runtimes=RUNTIMES, roles=roles)

    async def create(self, request: Request, visitor: Visitor) -> Response:
        data = await _zip(request)
        form = await request.form()
        name = str(form.get("name") or "").strip()
        if not name:
            raise InvalidParameterValueException("Name the function.")
        await self._shell.allow(request, visitor, "CreateFunction", name)
        made = await visitor.cell.functions.create(
            CreateFunctionInput(
                function_name=name,
                role=str(form.get("role") or "").strip(),
                code=FunctionCodeInput(zip_file=data),
                runtime=str(form.get("runtime") or "").strip() or None,
                handler=str(form.get("handler") or "").strip() or None,
                memory_mb=_int(form.get("memory"), "Memory", 128),
                timeout_s=_int(form.get("timeout"), "Timeout", 3),
            )
        )
        return self._shell.redirect(request, f"/functions/{made.name}")

    async def update(self, request: Request, visitor: Visitor) -> Response:
        name = request.path_params["name"]
        data = await _zip(request)
        await self._shell.allow(request, visitor, "UpdateFunctionCode", name)
        await visitor.cell.functions.update_code(name, UpdateFunctionCodeInput(zip_file=data))
        return self._shell.redirect(request, f"/functions/{name}")
