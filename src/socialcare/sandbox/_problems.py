"""X's error bodies: RFC 7807 problems as the API v2 sends them."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "NOT_FOUND_TYPE",
    "ApiError",
    "forbidden",
    "invalid_request",
    "not_found_problem",
    "resource_missing",
    "unauthorized",
    "unsupported_authentication",
]

NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
_INVALID_TYPE = "https://api.twitter.com/2/problems/invalid-request"
_UNSUPPORTED_AUTH_TYPE = "https://api.twitter.com/2/problems/unsupported-authentication"


class ApiError(Exception):
    """A failed request, carried to the HTTP layer, which renders it as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type_: str = "about:blank",
        extra: Mapping[str, object] | None = None,
        include_status: bool = True,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.extra = dict(extra or {})
        self.include_status = include_status

    def body(self) -> dict[str, object]:
        """The problem+json body."""
        out: dict[str, object] = {"title": self.title, "detail": self.detail, "type": self.type}
        if self.include_status:
            out["status"] = self.status
        out.update(self.extra)
        return out


def invalid_request(message: str, **parameters: str) -> ApiError:
    """HTTP 400 as X words it: one general detail plus the parameter-level message."""
    return ApiError(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        type_=_INVALID_TYPE,
        extra={
            "errors": [{"parameters": {k: [v] for k, v in parameters.items()}, "message": message}]
        },
        include_status=False,
    )


def unauthorized() -> ApiError:
    """HTTP 401: missing or wrong credentials."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def unsupported_authentication() -> ApiError:
    """HTTP 403: an app-only bearer token on an endpoint that needs a user."""
    return ApiError(
        403,
        "Unsupported Authentication",
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
        type_=_UNSUPPORTED_AUTH_TYPE,
    )


def forbidden(detail: str) -> ApiError:
    """HTTP 403 with X's generic problem type."""
    return ApiError(403, "Forbidden", detail)


def resource_missing(resource_type: str, parameter: str, value: str, hint: str = "") -> ApiError:
    """HTTP 404 for a path resource (user, post) that does not exist (``hint`` ends the detail)."""
    return ApiError(
        404,
        "Not Found Error",
        f"Could not find {resource_type} with {parameter}: [{value}].{hint}",
        type_=NOT_FOUND_TYPE,
        extra={
            "resource_type": resource_type,
            "parameter": parameter,
            "value": value,
            "resource_id": value,
        },
    )


def not_found_problem(
    resource_type: str, parameter: str, value: str, hint: str = ""
) -> dict[str, object]:
    """A per-item ``errors[]`` entry for a missing or deleted resource (``hint`` ends it)."""
    noun = "tweet" if resource_type == "tweet" else resource_type
    return {
        "value": value,
        "detail": f"Could not find {noun} with {parameter}: [{value}].{hint}",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }
