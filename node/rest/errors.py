"""grpc-gateway's error answers: ``{"code": <gRPC status>, "message": ..., "details": []}``
with the HTTP status grpc-gateway gives that gRPC status."""

from __future__ import annotations

from starlette.responses import JSONResponse

from node.services import ServiceError, Status

# grpc-gateway's runtime.HTTPStatusFromCode.
HTTP_STATUS = {
    Status.OK: 200,
    Status.Canceled: 499,
    Status.Unknown: 500,
    Status.InvalidArgument: 400,
    Status.DeadlineExceeded: 504,
    Status.NotFound: 404,
    Status.AlreadyExists: 409,
    Status.PermissionDenied: 403,
    Status.ResourceExhausted: 429,
    Status.FailedPrecondition: 400,
    Status.Aborted: 409,
    Status.OutOfRange: 400,
    Status.Unimplemented: 501,
    Status.Internal: 500,
    Status.Unavailable: 503,
    Status.DataLoss: 500,
    Status.Unauthenticated: 401,
}


class HTTPError(ServiceError):
    """An error with an HTTP status of its own, as grpc-gateway answers routing and size errors."""

    def __init__(self, status: Status, message: str, http_status: int) -> None:
        super().__init__(status, message)
        self.http_status = http_status


def not_found() -> HTTPError:
    return HTTPError(Status.NotFound, "Not Found", 404)


def method_not_allowed() -> HTTPError:
    return HTTPError(Status.Unimplemented, "Method Not Allowed", 405)


def error_response(error: ServiceError) -> JSONResponse:
    http_status = error.http_status if isinstance(error, HTTPError) else HTTP_STATUS[error.status]
    body = {"code": int(error.status), "message": error.message, "details": []}
    return JSONResponse(body, status_code=http_status)
