"""The "Test Connection" button: prove the token can do everything a sync needs.

`/me` alone proves little (it needs no permission), so the check also runs a one-result
conversation search and GETs that conversation, comparing the parts it returns with the count
Intercom reports: a token without access to parts would otherwise sync conversations with no
messages and look green.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from intercom_assets.client import (
    IntercomAuthError,
    IntercomClient,
    IntercomError,
    IntercomPermissionError,
    IntercomUnavailableError,
    IntercomVersionError,
)
from intercom_assets.client.queries import descending, match_all_query

CHECK_TOKEN = "token (/me)"
CHECK_SEARCH = "read conversations (search)"
CHECK_PARTS = "read conversation parts (GET)"
# Optional: without them only the reference assets fail; the sync and the metrics work.
CHECK_ADMINS = "read admins (optional, for admin and team names)"
CHECK_TAGS = "read tags (optional, for intercom/tags)"

ADVICE_AUTH = (
    "Intercom rejected the access token. Check that:\n"
    "  - the token was copied correctly (the whole string, no quotes or spaces);\n"
    "  - it has not been revoked (Developer Hub > your app > Authentication);\n"
    "  - the app is still active and installed in the workspace;\n"
    "  - the region matches the workspace (INTERCOM_REGION=us|eu|au);\n"
    "then set INTERCOM_ACCESS_TOKEN and test again."
)
ADVICE_REVOKED = (
    "Intercom says the token was revoked. Generate a new token if the old one was revoked:\n"
    "  Developer Hub > your app > Authentication; then set INTERCOM_ACCESS_TOKEN to the new\n"
    "  token and test again."
)
ADVICE_PERMISSION = (
    "The token is missing the *Read conversations* permission: in the Developer Hub open "
    "your app > Authentication, enable *Read conversations*, reinstall the app and set "
    "INTERCOM_ACCESS_TOKEN to the new token."
)
ADVICE_PARTS = (
    "The token cannot read conversation parts: grant *Read conversations* (with conversation "
    "parts) to the app in the Developer Hub, reinstall it and set INTERCOM_ACCESS_TOKEN to the "
    "new token. Without it every conversation would sync without its messages."
)
ADVICE_VERSION = "The API version is not accepted for this endpoint: set INTERCOM_API_VERSION=2.16."
ADVICE_UNREACHABLE = (
    "Intercom could not be reached at {base_url}: check the network or proxy, "
    "INTERCOM_REGION / INTERCOM_BASE_URL, and https://www.intercomstatus.com."
)


@dataclass
class ConnectionReport:
    """What worked, what did not, and what to do about it."""

    ok: bool
    workspace: str | None
    app_id: str | None
    region: str | None
    base_url: str
    api_version: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    advice: str | None = None
    optional: list[tuple[str, bool, str]] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"Intercom connection: {'OK' if self.ok else 'FAILED'}"]
        if self.workspace or self.app_id:
            lines.append(
                f"  workspace: {self.workspace or '?'} "
                f"(app id {self.app_id or '?'}, region {self.region or '?'})"
            )
        lines.append(f"  endpoint:  {self.base_url} (Intercom-Version {self.api_version})")
        lines.extend(
            f"  [{'PASS' if passed else 'FAIL'}] {name}: {detail}"
            for name, passed, detail in self.checks
        )
        lines.extend(
            f"  [{'PASS' if passed else 'WARN'}] {name}: {detail}"
            for name, passed, detail in self.optional
        )
        if self.advice:
            lines.append("What to do:")
            lines.extend(f"  {line}" for line in self.advice.splitlines())
        return "\n".join(lines)


def check_connection(
    client: IntercomClient, *, base_url: str, api_version: str
) -> ConnectionReport:
    """Run the three checks in order; stop at the first failure with matched advice."""
    report = ConnectionReport(
        ok=False,
        workspace=None,
        app_id=None,
        region=None,
        base_url=base_url,
        api_version=api_version,
    )
    name = CHECK_TOKEN
    try:
        me = client.me()
        _describe_workspace(report, me)
        report.checks.append((name, True, f"authenticated as {me.get('name') or 'an admin'}"))

        name = CHECK_SEARCH
        newest = client.first_match(match_all_query(), descending("updated_at"))
        if newest is None:
            report.checks.append((name, True, "allowed; the workspace has no conversations yet"))
            report.checks.append((CHECK_PARTS, True, "skipped: no conversation to read"))
            report.ok = True
            _check_optional(client, report)
            return report
        conversation_id = str(newest.get("id"))
        report.checks.append((name, True, f"allowed; newest conversation is {conversation_id}"))

        name = CHECK_PARTS
        passed, detail = _check_parts(conversation_id, client.get_conversation(conversation_id))
    except IntercomError as err:
        report.checks.append((name, False, _first_sentence(str(err))))
        report.advice = _advice_for(err, base_url)
        return report
    report.checks.append((name, passed, detail))
    report.advice = None if passed else ADVICE_PARTS
    report.ok = passed
    if passed:
        _check_optional(client, report)
    return report


def _check_optional(client: IntercomClient, report: ConnectionReport) -> None:
    """One call each for the reference data's permissions; a refusal never fails the test."""
    for name, call, noun in (
        (CHECK_ADMINS, client.admins, "admins"),
        (CHECK_TAGS, client.tags, "tags"),
    ):
        try:
            report.optional.append((name, True, f"allowed; {len(call())} {noun}"))
        except IntercomPermissionError as err:
            report.optional.append((name, False, str(err)))
        except IntercomError as err:
            report.optional.append((name, False, f"not verified: {err}"))


def _describe_workspace(report: ConnectionReport, me: dict[str, Any]) -> None:
    app = me.get("app")
    if isinstance(app, dict):
        report.workspace = app.get("name")
        report.app_id = app.get("id_code")
        report.region = app.get("region")


def _check_parts(conversation_id: str, conversation: dict[str, Any] | None) -> tuple[bool, str]:
    """Compare the parts a GET returns with the count Intercom's statistics report."""
    if conversation is None:
        return True, f"conversation {conversation_id} was deleted meanwhile; parts not verified"
    statistics = conversation.get("statistics") or {}
    counted = statistics.get("count_conversation_parts") if isinstance(statistics, dict) else None
    reported = counted - 1 if isinstance(counted, int) else None  # the count includes the source
    container = conversation.get("conversation_parts") or {}
    parts = container.get("conversation_parts") if isinstance(container, dict) else None
    returned = len(parts) if isinstance(parts, list) else 0
    if reported and reported > 0 and returned == 0:
        return False, (
            f"conversation {conversation_id} has {reported} parts according to its statistics, "
            "but the GET returned none"
        )
    if reported is None:
        return True, f"conversation {conversation_id}: {returned} parts returned"
    return True, f"conversation {conversation_id}: {returned} of {reported} parts returned"


def _first_sentence(message: str) -> str:
    """What failed, without the advice the report prints once under "What to do"."""
    head, dot, _ = message.partition(". ")
    return head + "." if dot else message


def _advice_for(err: IntercomError, base_url: str) -> str:
    if isinstance(err, IntercomAuthError):
        return ADVICE_REVOKED if err.code == "token_revoked" else ADVICE_AUTH
    if isinstance(err, IntercomPermissionError) and err.code != "api_plan_restricted":
        return ADVICE_PERMISSION
    if isinstance(err, IntercomVersionError):
        return ADVICE_VERSION
    if isinstance(err, IntercomUnavailableError):
        return ADVICE_UNREACHABLE.format(base_url=base_url)
    return str(err)
