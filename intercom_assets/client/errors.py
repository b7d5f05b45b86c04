"""Typed Intercom errors with operator-facing messages, and the mapping from HTTP responses.

Messages say which request failed and what to do about it. They are built only from our own
text plus Intercom's error code/message, so the access token can never end up in them.
"""

from __future__ import annotations

import json

AUTH_ADVICE = (
    "Check that the token was copied correctly, has not been revoked, and that the app is "
    "still active in the Developer Hub; then set INTERCOM_ACCESS_TOKEN."
)
REVOKED_ADVICE = (
    "Generate a new token if the old one was revoked (Developer Hub > your app > Authentication)."
)
PERMISSION_ADVICE = (
    "In the Developer Hub, give the app the *Read conversations* permission (which includes "
    "conversation parts), reinstall it, and set INTERCOM_ACCESS_TOKEN to the new token."
)


# Endpoints that need a permission other than *Read conversations*: (permission, what breaks).
REFERENCE_PERMISSIONS = {
    "/admins": ("Read admins", "intercom/admins and admin names in intercom/admin_metrics"),
    "/teams": ("Read admins", "intercom/teams and team names in intercom/admin_metrics"),
    "/tags": ("Read tags", "intercom/tags"),
}


def permission_advice(permission: str, needed_for: str) -> str:
    """What to do when an optional permission is missing; the sync itself keeps working."""
    return (
        f"In the Developer Hub, give the app the *{permission}* permission, reinstall it, and "
        f"set INTERCOM_ACCESS_TOKEN to the new token. Only {needed_for} need it: conversations, "
        "messages and metrics keep syncing with ids."
    )


class IntercomError(Exception):
    """Base class: `str(err)` is the operator-facing, actionable message."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"request_id={self.request_id!r}, message={self.message!r})"
        )


class IntercomAuthError(IntercomError):
    """401: the token itself was rejected. Fatal; never retried."""


class IntercomPermissionError(IntercomError):
    """403 (or the older 401 token_unauthorized): the token lacks a permission. Fatal."""


class IntercomVersionError(IntercomError):
    """400 intercom_version_invalid: the pinned API version lacks the endpoint."""


class IntercomRequestError(IntercomError):
    """Any other 4xx: the request itself is wrong; retrying cannot help."""


class IntercomNotFoundError(IntercomRequestError):
    """404: the resource is gone (e.g. a conversation deleted or merged after search)."""


class IntercomUnavailableError(IntercomError):
    """Retries exhausted on 429 / 5xx / connection errors / unparseable 200 bodies."""


def parse_error_body(body: bytes) -> tuple[str | None, str | None, str | None]:
    """Return (code, message, request_id) from an `error.list` body, or Nones if it isn't one."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None, None, None
    if not isinstance(payload, dict):
        return None, None, None
    errors = payload.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, dict):
        first = {}
    code, message, request_id = first.get("code"), first.get("message"), payload.get("request_id")
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        str(request_id) if request_id is not None else None,
    )


def is_gone(status: int, body: bytes) -> bool:
    """Whether a 404 says the resource is gone: Intercom's JSON `error.list` with `not_found`.

    Anything else answered with 404 (an HTML page from a gateway or proxy, an empty body,
    another code) says nothing about the conversation, so it is treated as transient.
    """
    if status != 404:
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict) or payload.get("type") != "error.list":
        return False
    return parse_error_body(body)[0] == "not_found"


def client_error(status: int, body: bytes, *, request: str, api_version: str) -> IntercomError:
    """Map a non-retryable 4xx response to its typed error. `request` is e.g. "GET /me"."""
    code, server_message, request_id = parse_error_body(body)
    label = f"{status} {code}" if code else str(status)
    detail = f" Intercom said: {server_message}" if server_message else ""
    where = f" Failed request: {request}."
    ids = {"status": status, "code": code, "request_id": request_id}
    if status == 403 or (status == 401 and code == "token_unauthorized"):
        if code == "api_plan_restricted":
            return IntercomPermissionError(
                f"Intercom refused access ({label}): the workspace's plan does not allow this "
                f"API; an active Intercom subscription is needed.{where}",
                **ids,
            )
        path = request.partition(" ")[2]
        if path in REFERENCE_PERMISSIONS:
            permission, needed_for = REFERENCE_PERMISSIONS[path]
            return IntercomPermissionError(
                f"The Intercom access token is missing the *{permission}* permission "
                f"({label}). {permission_advice(permission, needed_for)}{where}",
                **ids,
            )
        return IntercomPermissionError(
            f"The Intercom access token is missing the *Read conversations* permission "
            f"({label}). {PERMISSION_ADVICE}{where}",
            **ids,
        )
    if status == 401:
        revoked = f" {REVOKED_ADVICE}" if code == "token_revoked" else ""
        return IntercomAuthError(
            f"Intercom rejected the access token ({label}). {AUTH_ADVICE}{revoked} If the "
            f"workspace is hosted in the EU or Australia, also set INTERCOM_REGION.{where}",
            **ids,
        )
    if status == 400 and code == "intercom_version_invalid":
        return IntercomVersionError(
            f"Intercom API version {api_version} does not offer this endpoint ({label}). "
            f"Set INTERCOM_API_VERSION=2.16 (the version this project pins).{where}",
            **ids,
        )
    if status == 404:
        return IntercomNotFoundError(f"Not found ({label}).{where}", **ids)
    return IntercomRequestError(
        f"Intercom rejected the request ({label}).{detail} This is a bug or an unsupported "
        f"query, not a transient fault; please report it.{where}",
        **ids,
    )
