"""The one exception tree of Lambent.

    LambentError
    ├── ApiError                      an AWS-shaped control-plane error (status + type)
    │   ├── ValidationException                   400  input breaks the API model
    │   ├── InvalidParameterValueException        400  semantically refused input
    │   │   └── UnsafeArchive                          a zip entry would land outside its tree
    │   ├── InvalidRequestContentException        400  body is not valid JSON
    │   ├── ResourceNotFoundException             404
    │   ├── CodeSigningConfigNotFoundException    404
    │   ├── CodeVerificationFailedException       400  untrusted/unsigned code, policy Enforce
    │   ├── InvalidCodeSignatureException         400  signature fails integrity, any policy
    │   ├── ResourceConflictException             409
    │   ├── ResourceInUseException                400  an event source mapping is mid-change
    │   ├── PreconditionFailedException           412
    │   ├── PolicyLengthExceededException         400  a resource policy over 20 KB
    │   ├── RequestEntityTooLargeException        413
    │   ├── UnsupportedMediaTypeException         415
    │   ├── TooManyRequestsException              429
    │   ├── AccessDeniedException                 403  IAM policies do not allow the action
    │   ├── RecursiveInvocationException          400  a loop longer than 16
    │   ├── UnknownOperation                      404  no operation has this method and path
    │   ├── SignatureRefusal                      a request's SigV4 signature is refused (api/sigv4)
    │   │   ├── MissingAuthenticationTokenException   403  no Authorization, no presigned query
    │   │   ├── IncompleteSignatureException          400  Authorization or query lacks a part
    │   │   ├── InvalidSignatureException             403  signature, date or scope is wrong
    │   │   ├── UnrecognizedClientException           403  unknown access key or session token
    │   │   └── ExpiredTokenException                 403  temporary credentials have expired
    │   ├── QueryError                    an error of the query-protocol services (IAM, STS)
    │   │   ├── NoSuchEntity                          404
    │   │   ├── EntityAlreadyExists                   409
    │   │   ├── DeleteConflict                        409  the entity still has keys or policies
    │   │   ├── LimitExceeded                         409
    │   │   ├── MalformedPolicyDocument               400
    │   │   ├── InvalidInput                          400
    │   │   ├── ValidationError                       400  input breaks the API model
    │   │   └── InvalidAction                         400  no operation has this Action
    │   ├── EventsError                   an error of EventBridge (events, JSON 1.1), all 400
    │   │   ├── EventsValidationException             ValidationException
    │   │   ├── EventsResourceNotFound                ResourceNotFoundException
    │   │   ├── ResourceAlreadyExistsException
    │   │   ├── InvalidEventPatternException
    │   │   └── EventsLimitExceeded                   LimitExceededException
    │   ├── LogsError                     an error of CloudWatch Logs (logs, JSON 1.1), all 400
    │   │   ├── LogsInvalidParameter                  InvalidParameterException
    │   │   ├── LogsResourceNotFound                  ResourceNotFoundException
    │   │   └── LogsResourceAlreadyExists             ResourceAlreadyExistsException
    │   ├── CloudWatchError               an error of CloudWatch's metrics API (query codes; the
    │   │   │                             JSON and CBOR protocols name the model's shape)
    │   │   ├── CloudWatchInvalidParameterValue        400  InvalidParameterValue
    │   │   ├── CloudWatchMissingParameter             400  MissingParameter
    │   │   ├── CloudWatchInvalidParameterCombination  400  InvalidParameterCombination
    │   │   └── CloudWatchInvalidNextToken             400  InvalidNextToken
    │   ├── SchedulerError                an error of EventBridge Scheduler (rest-json, ``Message``)
    │   │   ├── SchedulerValidation                   400  ValidationException
    │   │   ├── SchedulerNotFound                     404  ResourceNotFoundException
    │   │   ├── SchedulerConflict                     409  ConflictException
    │   │   └── SchedulerQuotaExceeded                402  ServiceQuotaExceededException
    │   ├── ApiGatewayError               an error of API Gateway's control plane (apigatewayv2),
    │   │   │                             answered as ``{"message": ...}``
    │   │   ├── BadRequestException                   400  input the model or API Gateway refuses
    │   │   ├── NotFoundException                     404
    │   │   ├── ConflictException                     409
    │   │   └── ApiGatewayThrottled                   429  TooManyRequestsException
    │   └── ServiceException                      500  our fault, never a client's
    ├── RuntimeApiRefusal             an answer of an environment's Runtime, Extensions or
    │                                 Telemetry API (status + errorType, e.g. Extension.*)
    ├── InvocationFailure             a failure of the function, answered 200 + X-Amz-Function-Error
    │   ├── (Runtime.*)   raised from the environment's report
    │   ├── SandboxTimedOut            Sandbox.Timedout
    │   ├── RuntimeExitError           Runtime.ExitError
    │   ├── RuntimeOutOfMemory         Runtime.OutOfMemory
    │   ├── RuntimeInvalidEntrypoint   Runtime.InvalidEntrypoint
    │   └── ResponseSizeTooLarge       Function.ResponseSizeTooLarge
    ├── MalformedHttpResponse         a function's answer to an HTTP event is no response its
    │                                 payload format allows (the ingress answers 502)
    ├── SandboxSetupError             a privileged step failed (step, object, cause)
    ├── InvalidScheduleExpression     a schedule expression AWS refuses (also a ValueError)
    ├── InvalidTimezone               a ScheduleExpressionTimezone naming no zone (also a ValueError)
    └── SettingsError                 a setting has a value that cannot be used (also a ValueError)

Each leaf carries its AWS error type and HTTP status as class attributes and its default
message as the docstring's first paragraph. ``lambent.api.render`` turns ApiErrors into responses and
``lambent.runtime_api.render`` turns RuntimeApiRefusals into theirs; nothing else builds error
bodies. The only exception classes outside this tree are the in-sandbox ``SetupFailed``
(``sandbox/inside`` imports nothing of lambent's), the runtime shims' own, and
``sandbox/fake.FakeExit`` (how a fake handler ends its process).
"""

from __future__ import annotations

from typing import Any, ClassVar


class LambentError(Exception):
    """An error of the Lambent platform."""


def default_message(kind: type[Exception]) -> str:
    """*kind*'s docstring's first paragraph, its wrapped lines joined: the default message."""
    return " ".join((kind.__doc__ or "").strip().split("\n\n")[0].split())


class ApiError(LambentError):
    """The request could not be served."""

    error_type: ClassVar[str] = "ServiceException"
    status: ClassVar[int] = 500
    #: "User" when the caller is at fault, "Service" otherwise (AWS's body field ``Type``);
    #: None where AWS's body has no ``Type`` (its ValidationException).
    fault: ClassVar[str | None] = "User"

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.message = message if message is not None else default_message(type(self))
        self.fields = fields  # extra body members, e.g. Reason for throttles
        super().__init__(self.message)


class ValidationException(ApiError):
    """The request does not satisfy the API model's constraints."""

    error_type = "ValidationException"
    status = 400
    #: AWS answers it as ``{"message": ...}`` with no ``Type`` (a raw body quoted in
    #: aarondfrancis/sidecar#147); docs/decisions/0014-aws-error-words.md.
    fault = None


class InvalidParameterValueException(ApiError):
    """One of the parameters in the request is not valid."""

    error_type = "InvalidParameterValueException"
    status = 400


class InvalidRequestContentException(ApiError):
    """The request body could not be parsed as JSON."""

    error_type = "InvalidRequestContentException"
    status = 400


class ResourceNotFoundException(ApiError):
    """The resource specified in the request does not exist."""

    error_type = "ResourceNotFoundException"
    status = 404


class CodeSigningConfigNotFoundException(ApiError):
    """The specified code signing configuration does not exist."""

    error_type = "CodeSigningConfigNotFoundException"
    status = 404


class CodeVerificationFailedException(ApiError):
    """The code signature failed one or more of the validation checks for signature mismatch or
    expiry, and the code signing policy is set to ENFORCE. Lambda blocks the deployment."""

    error_type = "CodeVerificationFailedException"
    status = 400


class InvalidCodeSignatureException(ApiError):
    """The code signature failed the integrity check. If the integrity check fails, then Lambda
    blocks deployment, even if the code signing policy is set to WARN."""

    error_type = "InvalidCodeSignatureException"
    status = 400


class ProvisionedConcurrencyConfigNotFoundException(ApiError):
    """The specified configuration does not exist."""

    error_type = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404


class ResourceConflictException(ApiError):
    """The resource already exists, or another operation is in progress."""

    error_type = "ResourceConflictException"
    status = 409


class ResourceInUseException(ApiError):
    """The operation cannot be performed at this time."""

    status = 400
    error_type = "ResourceInUseException"


class PreconditionFailedException(ApiError):
    """The RevisionId provided does not match the latest RevisionId for the Lambda function."""

    error_type = "PreconditionFailedException"
    status = 412


class PolicyLengthExceededException(ApiError):
    """The permissions policy for the resource is too large."""

    error_type = "PolicyLengthExceededException"
    status = 400


class RequestEntityTooLargeException(ApiError):
    """The request payload exceeded the maximum allowed size."""

    error_type = "RequestEntityTooLargeException"
    status = 413


class UnsupportedMediaTypeException(ApiError):
    """The content type of the request payload is not supported."""

    error_type = "UnsupportedMediaTypeException"
    status = 415


class TooManyRequestsException(ApiError):
    """Rate exceeded."""

    error_type = "TooManyRequestsException"
    status = 429


class AccessDeniedException(ApiError):
    """The caller is not authorized to perform this operation.

    The message is IAM's, naming the caller, the action, the resource and which policy was
    missing or denied (``model.iam_policy.denial_message``). The query-protocol services (IAM,
    STS) answer the code ``AccessDenied``.
    """

    error_type = "AccessDeniedException"
    query_error_type: ClassVar[str] = "AccessDenied"
    status = 403


class RecursiveInvocationException(ApiError):
    """Lambda stopped a recursive invocation loop."""

    error_type = "RecursiveInvocationException"
    status = 400


class UnknownOperation(ApiError):
    """The requested operation is not supported."""

    error_type = "UnknownOperationException"
    status = 404


class SignatureRefusal(ApiError):
    """The request's signature could not be verified.

    AWS names these codes per protocol: the JSON services (Lambda, CloudWatch Logs, EventBridge)
    answer ``error_type``; the query-protocol services (IAM, STS) answer ``query_error_type``
    (their ``<Error><Code>``). The edge picks by ``service``, the credential scope's service
    (None when the refusal came before a scope could be read: then the path decides).
    """

    status = 403
    query_error_type: ClassVar[str] = "SignatureDoesNotMatch"
    #: The services whose errors use ``query_error_type``.
    QUERY_PROTOCOL: ClassVar[frozenset[str]] = frozenset({"iam", "sts"})

    def __init__(self, message: str | None = None, *, service: str | None = None) -> None:
        super().__init__(message)
        self.service = service

    def code(self, service: str | None = None) -> str:
        """The error code the answer carries, for *service* (default: the scope's)."""
        service = service or self.service
        return self.query_error_type if service in self.QUERY_PROTOCOL else self.error_type


class MissingAuthenticationTokenException(SignatureRefusal):
    """Missing Authentication Token"""

    error_type = "MissingAuthenticationTokenException"
    query_error_type = "MissingAuthenticationToken"


class IncompleteSignatureException(SignatureRefusal):
    """The request signature does not conform to AWS standards."""

    error_type = "IncompleteSignatureException"
    query_error_type = "IncompleteSignature"
    status = 400


class InvalidSignatureException(SignatureRefusal):
    """The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."""  # noqa: E501

    error_type = "InvalidSignatureException"
    query_error_type = "SignatureDoesNotMatch"


class UnrecognizedClientException(SignatureRefusal):
    """The security token included in the request is invalid."""

    error_type = "UnrecognizedClientException"
    query_error_type = "InvalidClientTokenId"


class ExpiredTokenException(SignatureRefusal):
    """The security token included in the request is expired"""

    error_type = "ExpiredTokenException"
    query_error_type = "ExpiredToken"


class QueryError(ApiError):
    """The request could not be served.

    IAM and STS answer in the query protocol: ``<Error><Type>Sender</Type><Code>...`` (rendered
    by ``lambent.api.query``); codes and statuses are the botocore models' (``error.code``,
    ``httpStatusCode``).
    """

    fault = "Sender"


class NoSuchEntity(QueryError):
    """The request was rejected because it referenced a resource entity that does not exist."""

    error_type = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(QueryError):
    """The request was rejected because it attempted to create a resource that already exists."""

    error_type = "EntityAlreadyExists"
    status = 409


class DeleteConflict(QueryError):
    """The request was rejected because it attempted to delete a resource that has attached subordinate entities."""

    error_type = "DeleteConflict"
    status = 409


class LimitExceeded(QueryError):
    """The request was rejected because it attempted to create resources beyond the current AWS account limits."""

    error_type = "LimitExceeded"
    status = 409


class MalformedPolicyDocument(QueryError):
    """Syntax errors in policy."""

    error_type = "MalformedPolicyDocument"
    status = 400


class InvalidInput(QueryError):
    """The request was rejected because an invalid or out-of-range value was supplied for an input parameter."""

    error_type = "InvalidInput"
    status = 400


class ValidationError(QueryError):
    """The input fails to satisfy the constraints specified by an AWS service."""

    error_type = "ValidationError"
    status = 400


class InvalidAction(QueryError):
    """The action or operation requested is invalid. Verify that the action is typed correctly."""

    error_type = "InvalidAction"
    status = 400


class EventsError(ApiError):
    """The request could not be served.

    EventBridge (JSON 1.1) answers every client error 400 with ``{"__type": ..., "message":
    ...}`` (botocore's model gives its error shapes no status of their own), rendered by
    ``lambent.api.render.json11_error``.
    """

    status = 400


class EventsValidationException(EventsError):
    """The input fails to satisfy the constraints specified by an AWS service."""

    error_type = "ValidationException"


class EventsResourceNotFound(EventsError):
    """An entity that you specified does not exist."""

    error_type = "ResourceNotFoundException"


class ResourceAlreadyExistsException(EventsError):
    """The resource you are trying to create already exists."""

    error_type = "ResourceAlreadyExistsException"


class InvalidEventPatternException(EventsError):
    """The event pattern is not valid."""

    error_type = "InvalidEventPatternException"


class EventsLimitExceeded(EventsError):
    """The request failed because it attempted to create resource beyond the allowed service
    quota."""

    error_type = "LimitExceededException"


class LogsError(ApiError):
    """The request could not be served: CloudWatch Logs answers every client error 400 with
    JSON 1.1's ``{"__type": ..., "message": ...}``."""

    status = 400


class LogsInvalidParameter(LogsError):
    """A parameter is specified incorrectly."""

    error_type = "InvalidParameterException"


class LogsResourceNotFound(LogsError):
    """The specified resource does not exist."""

    error_type = "ResourceNotFoundException"


class LogsResourceAlreadyExists(LogsError):
    """The specified resource already exists."""

    error_type = "ResourceAlreadyExistsException"


class CloudWatchError(ApiError):
    """The request could not be served.

    CloudWatch's metrics API is query-compatible: ``error_type`` is the query protocol's code
    (``InvalidParameterValue``); ``shape`` is the model's error shape, which the JSON and CBOR
    protocols send as ``__type`` with the code in ``x-amzn-query-error`` (``api/cloudwatch_wire``).
    """

    status = 400
    shape: ClassVar[str] = "InvalidParameterValueException"


class CloudWatchInvalidParameterValue(CloudWatchError):
    """The value of an input parameter is bad or out-of-range."""

    error_type = "InvalidParameterValue"
    shape = "InvalidParameterValueException"


class CloudWatchMissingParameter(CloudWatchError):
    """An input parameter that is required is missing."""

    error_type = "MissingParameter"
    shape = "MissingRequiredParameterException"


class CloudWatchInvalidParameterCombination(CloudWatchError):
    """Parameters were used together that cannot be used together."""

    error_type = "InvalidParameterCombination"
    shape = "InvalidParameterCombinationException"


class CloudWatchInvalidNextToken(CloudWatchError):
    """The next token specified is invalid."""

    error_type = "InvalidNextToken"
    shape = "InvalidNextToken"


class SchedulerError(ApiError):
    """The request could not be served.

    EventBridge Scheduler (rest-json) answers an error as ``x-amzn-ErrorType: <Code>`` and the
    body ``{"Message": ...}``, statuses as botocore's model gives them; rendered by
    ``lambent.api.render.scheduler_error_response``.
    """


class SchedulerValidation(SchedulerError):
    """The input fails to satisfy the constraints specified by an AWS service."""

    error_type = "ValidationException"
    status = 400


class SchedulerNotFound(SchedulerError):
    """The request references a resource which does not exist."""

    error_type = "ResourceNotFoundException"
    status = 404


class SchedulerConflict(SchedulerError):
    """Updating or deleting the resource can cause an inconsistent state."""

    error_type = "ConflictException"
    status = 409


class SchedulerQuotaExceeded(SchedulerError):
    """The request exceeds a service quota."""

    error_type = "ServiceQuotaExceededException"
    status = 402


class ApiGatewayError(ApiError):
    """The request could not be served.

    API Gateway's control plane (apigatewayv2, restJson with lower-camel members) answers an
    error as ``x-amzn-ErrorType: <Code>`` and the body ``{"message": ...}`` (botocore's model:
    each error shape has one member, ``Message``, located as ``message``); rendered by
    ``lambent.api.render.apigateway_error_response``. Codes and statuses are the model's.
    """


class BadRequestException(ApiGatewayError):
    """One of the parameters in the request is invalid."""

    error_type = "BadRequestException"
    status = 400


class NotFoundException(ApiGatewayError):
    """The resource specified in the request was not found."""

    error_type = "NotFoundException"
    status = 404


class ConflictException(ApiGatewayError):
    """The requested operation would cause a conflict with the current state of a service resource
    associated with the request. Resolve the conflict before retrying this request."""

    error_type = "ConflictException"
    status = 409


class ApiGatewayThrottled(ApiGatewayError):
    """The client is sending more than the allowed number of requests per unit of time."""

    error_type = "TooManyRequestsException"
    status = 429


class UnsafeArchive(InvalidParameterValueException):
    """An entry of the archive would land outside the code directory."""


class ServiceException(ApiError):
    """The service encountered an internal error."""

    error_type = "ServiceException"
    status = 500
    fault = "Service"


class RuntimeApiRefusal(LambentError):
    """A request of an environment's Runtime, Extensions or Telemetry API is refused.

    Rendered as AWS's Runtime API renders it: the status, and ``{"errorMessage", "errorType"}``.
    """

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


class InvocationFailure(LambentError):
    """The function failed; the caller gets 200 with X-Amz-Function-Error."""

    error_type: str = "Runtime.Unknown"

    def __init__(self, message: str, error_type: str | None = None, **body: Any) -> None:
        super().__init__(message)
        self.message = message
        if error_type is not None:
            self.error_type = error_type
        self.body = body  # extra members of the error document (stackTrace, requestId)

    def document(self) -> dict[str, Any]:
        """The JSON error document the caller receives."""
        return {"errorMessage": self.message, "errorType": self.error_type, **self.body}


class SandboxTimedOut(InvocationFailure):
    """The function ran past its timeout."""

    error_type = "Sandbox.Timedout"


class RuntimeExitError(InvocationFailure):
    """The runtime process exited while it was initialising or invoking."""

    error_type = "Runtime.ExitError"


class RuntimeOutOfMemory(InvocationFailure):
    """The environment exceeded its memory limit."""

    error_type = "Runtime.OutOfMemory"


class RuntimeInvalidEntrypoint(InvocationFailure):
    """The custom runtime has no bootstrap it can start (none in the package or layers, or not executable)."""

    error_type = "Runtime.InvalidEntrypoint"


class ResponseSizeTooLarge(InvocationFailure):
    """The function returned more than the synchronous payload limit."""

    error_type = "Function.ResponseSizeTooLarge"


class MalformedHttpResponse(LambentError):
    """The function's answer is not an HTTP response its payload format allows.

    Raised by ``lambent.model.http_response``; the HTTP ingress answers it with its own
    error (a function URL's 502 ``Internal Server Error``), never with the reason.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SandboxSetupError(LambentError):
    """A step of building an execution environment failed; the environment is destroyed."""

    def __init__(self, step: str, obj: str, cause: BaseException | str) -> None:
        self.step, self.obj, self.cause = step, obj, cause
        super().__init__(f"{step} {obj}: {cause}")


class SettingsError(LambentError, ValueError):
    """A setting has a value that cannot be used."""


class InvalidScheduleExpression(LambentError, ValueError):
    """A schedule expression AWS would refuse: ``reason`` names the part, ``aws_message`` is AWS's
    answer (raised by ``model.schedule_expression``)."""

    def __init__(self, expression: str, reason: str, *, aws_message: str | None = None) -> None:
        super().__init__(f"Invalid schedule expression {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason
        self.aws_message = aws_message or f"Invalid Schedule Expression {expression}."


class InvalidTimezone(LambentError, ValueError):
    """A ScheduleExpressionTimezone that names no IANA time zone."""
