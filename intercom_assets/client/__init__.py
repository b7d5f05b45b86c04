"""Intercom REST client: typed errors, shared rate limiting, retries, parallel search and GETs."""

from intercom_assets.client.api import IntercomClient
from intercom_assets.client.errors import (
    IntercomAuthError,
    IntercomError,
    IntercomNotFoundError,
    IntercomPermissionError,
    IntercomRequestError,
    IntercomUnavailableError,
    IntercomVersionError,
)
from intercom_assets.client.stats import RequestStats

REGION_BASE_URLS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

__all__ = [
    "REGION_BASE_URLS",
    "IntercomAuthError",
    "IntercomClient",
    "IntercomError",
    "IntercomNotFoundError",
    "IntercomPermissionError",
    "IntercomRequestError",
    "IntercomUnavailableError",
    "IntercomVersionError",
    "RequestStats",
]
