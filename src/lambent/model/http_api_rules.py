"""API Gateway's rules for an HTTP API's stages and deployments, and what every rule over an
API's state shares. Pure: ids are drawn by the caller's ``NewId`` and time is an argument.

The order of checks is the model's first (``model.http_api_inputs.check``), then the resource
(404 before any semantic refusal), then the rules. Where AWS's words are known they are used and
their source named (decision 0028); the others are Lambent's, in API Gateway's manner
(``Invalid X identifier specified ...``).

A deployment freezes what the API serves (``HttpApiState.snapshot``); a stage serves its
deployment. An ``AutoDeploy`` stage serves a new deployment whenever what a deployment would
serve (routes, integrations, authorizers, CORS) changed (``auto_deploy``). The API itself, its
routes, integrations and authorizers are ``model.http_api_resources``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import msgspec

from lambent.errors import BadRequestException, ConflictException, NotFoundException
from lambent.model.http_api import (
    DEFAULT_STAGE,
    Deployment,
    HttpApiState,
    RouteSettings,
    Snapshot,
    Stage,
    api_time,
)
from lambent.model.http_api_inputs import DeploymentInput, StageInput

#: Draws an id of n lowercase letters and digits.
NewId = Callable[[int], str]
#: Id lengths as AWS's are: an API's 10 (``bwop0s66op``, aws/aws-sam-cli#7030), a route's and an
#: integration's 7 (the AWS CLI's examples: ``0abcdef``), a deployment's 6 (``shktxb``), an
#: authorizer's 6.
API_ID_LENGTH, ROUTE_ID_LENGTH, INTEGRATION_ID_LENGTH, DEPLOYMENT_ID_LENGTH, AUTHORIZER_ID_LENGTH = 10, 7, 7, 6, 6
#: What an auto-deployment is described as, and a stage's message after a deployment (the
#: API Gateway console shows both; not captured through the API).
AUTO_DESCRIPTION = "Automatic deployment triggered by changes to the Api configuration"
_STAGE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,128}")


def api_not_found(account: str, api_id: str) -> NotFoundException:
    """AWS's words, the account and the id joined by a colon (aws/aws-sdk-js#2458, aws/aws-sam-cli#7030)."""
    return NotFoundException(f"Invalid API identifier specified {account}:{api_id}")


def not_found(kind: str, identifier: str) -> NotFoundException:
    """A missing route, integration, authorizer, deployment or stage (Lambent's words, in the
    form of the API's)."""
    return NotFoundException(f"Invalid {kind} identifier specified {identifier}")


def api_now(now: float) -> str:
    return api_time(now)


def merged(state: HttpApiState, **merged: Mapping[str, object]) -> HttpApiState:
    """*state* with entries added to (or replaced in) the named maps."""
    return msgspec.structs.replace(state, **{name: {**getattr(state, name), **items} for name, items in merged.items()})


def removed(state: HttpApiState, name: str, key: str) -> HttpApiState:
    return msgspec.structs.replace(state, **{name: {k: v for k, v in getattr(state, name).items() if k != key}})


# -- stages and deployments ------------------------------------------------------------------------


def new_stage(name: str, now: float, *, auto_deploy: bool = False, managed: bool = False) -> Stage:
    moment = api_now(now)
    return Stage(
        stage_name=name,
        created_date=moment,
        last_updated_date=moment,
        default_route_settings=RouteSettings(detailed_metrics_enabled=False),
        route_settings={},
        stage_variables={},
        tags={},
        api_gateway_managed=True if managed else None,
        auto_deploy=True if auto_deploy else None,
    )


def _check_stage(state: HttpApiState, stage: Stage) -> None:
    for key in stage.route_settings:
        if not any(r.route_key == key for r in state.routes.values()):
            # AWS's words (a live NotFoundException, terraform-aws-modules/terraform-aws-apigateway-v2#80)
            raise NotFoundException(f"Unable to find Route by key {key} within the provided RouteSettings")
    if stage.deployment_id is not None and stage.deployment_id not in state.deployments:
        raise not_found("Deployment", stage.deployment_id)


def create_stage(state: HttpApiState, request: StageInput, now: float, new_id: NewId) -> tuple[HttpApiState, Stage]:
    name = request.stage_name or ""
    if name != DEFAULT_STAGE and _STAGE_NAME.fullmatch(name) is None:
        raise BadRequestException(f"Invalid stage name specified: {name}; a stage name is $default or letters, digits, - and _")
    if name in state.stages:
        raise ConflictException(f"Stage {name} already exists")
    stage = msgspec.structs.replace(new_stage(name, now, auto_deploy=bool(request.auto_deploy)), **_stage_changes(request))
    _check_stage(state, stage)
    state = merged(state, stages={name: stage})
    if stage.auto_deploy:
        state = deploy(state, new_id(DEPLOYMENT_ID_LENGTH), now, [name], AUTO_DESCRIPTION, auto=True)
    elif stage.deployment_id is not None:
        state = _point(state, [name], stage.deployment_id, now)
    return state, state.stages[name]


def _stage_changes(request: StageInput) -> dict[str, object]:
    changes: dict[str, object] = {
        name: getattr(request, name)
        for name in (
            "access_log_settings",
            "client_certificate_id",
            "default_route_settings",
            "deployment_id",
            "description",
            "route_settings",
            "stage_variables",
            "tags",
        )
        if getattr(request, name) is not None
    }
    if request.auto_deploy is not None:
        changes["auto_deploy"] = True if request.auto_deploy else None
    return changes


def stage_of(state: HttpApiState, name: str) -> Stage:
    stage = state.stages.get(name)
    if stage is None:
        raise not_found("Stage", name)
    return stage


def update_stage(state: HttpApiState, name: str, request: StageInput, now: float, new_id: NewId) -> tuple[HttpApiState, Stage]:
    current = stage_of(state, name)
    changes = _stage_changes(request)
    changes.pop("tags", None)  # UpdateStage has no Tags
    changes["last_updated_date"] = api_now(now)
    updated = msgspec.structs.replace(current, **changes)
    _check_stage(state, updated)
    state = merged(state, stages={name: updated})
    if updated.auto_deploy and not current.auto_deploy:
        state = deploy(state, new_id(DEPLOYMENT_ID_LENGTH), now, [name], AUTO_DESCRIPTION, auto=True)
    elif request.deployment_id is not None:
        state = _point(state, [name], request.deployment_id, now)
    return state, state.stages[name]


def delete_stage(state: HttpApiState, name: str) -> HttpApiState:
    stage_of(state, name)
    return _forget_unused(removed(state, "stages", name))


def deploy(
    state: HttpApiState, deployment_id: str, now: float, stages: list[str], description: str | None, *, auto: bool
) -> HttpApiState:
    """A new deployment of what *state* serves now, and *stages* pointed at it."""
    deployment = Deployment(
        deployment_id=deployment_id,
        created_date=api_now(now),
        deployment_status="DEPLOYED",
        auto_deployed=auto,
        description=description,
    )
    state = msgspec.structs.replace(
        state,
        deployments={**state.deployments, deployment_id: deployment},
        snapshots={**state.snapshots, deployment_id: state.snapshot()},
    )
    return _point(state, stages, deployment_id, now)


def _point(state: HttpApiState, stages: list[str], deployment_id: str, now: float) -> HttpApiState:
    if deployment_id not in state.snapshots:
        raise BadRequestException(f"Deployment {deployment_id} can no longer be served: a stage may name only a kept deployment")
    pointed = {
        name: msgspec.structs.replace(
            state.stages[name],
            deployment_id=deployment_id,
            last_updated_date=api_now(now),
            last_deployment_status_message=f"Successfully deployed stage with deployment ID '{deployment_id}'",
        )
        for name in stages
    }
    return _forget_unused(merged(state, stages=pointed))


def _forget_unused(state: HttpApiState) -> HttpApiState:
    """Without the snapshots of automatic deployments no stage serves (their records stay): each
    change to an auto-deployed API makes one, and nothing can serve them again."""
    used = {s.deployment_id for s in state.stages.values()}
    kept = {k: v for k, v in state.snapshots.items() if k in used or not state.deployments[k].auto_deployed}
    return state if len(kept) == len(state.snapshots) else msgspec.structs.replace(state, snapshots=kept)


def create_deployment(
    state: HttpApiState, request: DeploymentInput, deployment_id: str, now: float
) -> tuple[HttpApiState, Deployment]:
    stages = []
    if request.stage_name is not None:
        stage_of(state, request.stage_name)
        stages.append(request.stage_name)
    state = deploy(state, deployment_id, now, stages, request.description, auto=False)
    return state, state.deployments[deployment_id]


def deployment_of(state: HttpApiState, deployment_id: str) -> Deployment:
    deployment = state.deployments.get(deployment_id)
    if deployment is None:
        raise not_found("Deployment", deployment_id)
    return deployment


def update_deployment(state: HttpApiState, deployment_id: str, description: str | None) -> tuple[HttpApiState, Deployment]:
    updated = msgspec.structs.replace(deployment_of(state, deployment_id), description=description)
    return merged(state, deployments={deployment_id: updated}), updated


def delete_deployment(state: HttpApiState, deployment_id: str) -> HttpApiState:
    deployment_of(state, deployment_id)
    users = sorted(s.stage_name for s in state.stages.values() if s.deployment_id == deployment_id)
    if users:
        raise BadRequestException(f"Deployment {deployment_id} is in use by stages: {', '.join(users)}")
    state = removed(state, "deployments", deployment_id)
    return removed(state, "snapshots", deployment_id)


def auto_deploy(before: HttpApiState, after: HttpApiState, now: float, new_id: NewId) -> HttpApiState:
    """*after*, with a new deployment for its AutoDeploy stages if what it serves changed."""
    stages = [s.stage_name for s in after.stages.values() if s.auto_deploy]
    if not stages or before.snapshot() == after.snapshot():
        return after
    return deploy(after, new_id(DEPLOYMENT_ID_LENGTH), now, stages, AUTO_DESCRIPTION, auto=True)


def served(state: HttpApiState, stage_name: str) -> Snapshot | None:
    """What stage *stage_name* serves: its deployment's snapshot, None with no deployment."""
    stage = state.stages.get(stage_name)
    if stage is None or stage.deployment_id is None:
        return None
    return state.snapshots.get(stage.deployment_id)


# -- paging ----------------------------------------------------------------------------------------

#: Items a page holds when MaxResults is not given (Lambent's choice; AWS does not document it).
PAGE_SIZE = 100


def page(items: list[object], max_results: str | None, next_token: str | None) -> tuple[list[object], str | None]:
    """One page of *items* from *next_token* (an offset; opaque to clients) and the next token."""
    if max_results is not None and not (max_results.isdigit() and 1 <= int(max_results) <= 500):
        raise BadRequestException(f"Invalid MaxResults specified: {max_results}")
    if next_token is not None and not next_token.isdigit():
        raise BadRequestException("Invalid NextToken specified")
    start = int(next_token or 0)
    end = start + int(max_results or PAGE_SIZE)
    return items[start:end], str(end) if end < len(items) else None
