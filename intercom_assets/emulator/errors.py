"""Intercom's `error.list` envelope, raised as an exception by the request handlers."""

from __future__ import annotations

import secrets
import string
from typing import Any

_ID_ALPHABET = string.ascii_lowercase + string.digits


def request_id() -> str:
    """A 20-character id shaped like the ones live Intercom responses carry."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def error_body(code: str, message: str) -> dict[str, Any]:
    return {
        "type": "error.list",
        "request_id": request_id(),
        "errors": [{"code": code, "message": message}],
    }


class ApiError(Exception):
    """An HTTP error answered with Intercom's JSON error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", "Resource Not Found")


def version_unavailable() -> ApiError:
    return ApiError(
        400,
        "intercom_version_invalid",
        "Requested resource is not available in current API version.",
    )
