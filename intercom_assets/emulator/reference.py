"""`GET /admins`, `/teams`, `/tags`: the workspace's reference data, consistent with its parts.

Every admin that authors parts, is assigned (`assigned_to`, `admin_assignee_id`) or closes
is listed; teams are those of `team_assignee_id`; tags are those conversations carry. Some
admins are in several teams and some in none, so team membership is worth joining. The bot
(Fin) authors parts but is not an admin, as in Intercom.
"""

from __future__ import annotations

from typing import Any

from intercom_assets.emulator.data import ADMINS, TAGS, TEAMS

TEAM_NAMES = dict(zip(TEAMS, ("Support 🛟", "Billing", "Onboarding ✈️"), strict=True))
ADMIN_TEAMS: dict[int, tuple[int, ...]] = {
    ADMINS[0][0]: (TEAMS[0],),  # as GET /me reports it
    ADMINS[1][0]: (TEAMS[0], TEAMS[1]),
    ADMINS[2][0]: (TEAMS[1], TEAMS[2]),
    ADMINS[3][0]: (),
    ADMINS[4][0]: (TEAMS[2],),
    ADMINS[5][0]: (),
}
_JOB_TITLES = ("Support lead", "Agent", "مدير الدعم", None, "Billing specialist", "Agent")


def _admin(index: int) -> dict[str, Any]:
    admin_id, name, email = ADMINS[index]
    admin: dict[str, Any] = {
        "type": "admin",
        "id": str(admin_id),
        "name": name,
        "email": email,
        "away_mode_enabled": index == 4,
        "away_mode_reassign": False,
        "has_inbox_seat": index != 5,
        "team_ids": list(ADMIN_TEAMS[admin_id]),
    }
    if _JOB_TITLES[index] is not None:
        admin["job_title"] = _JOB_TITLES[index]
    return admin


def admin_list() -> dict[str, Any]:
    return {"type": "admin.list", "admins": [_admin(index) for index in range(len(ADMINS))]}


def team_list() -> dict[str, Any]:
    return {
        "type": "team.list",
        "teams": [
            {
                "type": "team",
                "id": str(team_id),
                "name": TEAM_NAMES[team_id],
                "admin_ids": [admin for admin, teams in ADMIN_TEAMS.items() if team_id in teams],
            }
            for team_id in TEAMS
        ],
    }


def tag_list() -> dict[str, Any]:
    tags = [{"type": "tag", "id": tag_id, "name": name} for tag_id, name in TAGS]
    return {"type": "list", "data": tags}
