"""Transforms turn any Intercom payload into typed rows without losing a field or an id."""

import json
from datetime import UTC, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from intercom_assets.sync.transforms import (
    CONVERSATION_SCHEMA,
    MESSAGE_SCHEMA,
    conversations_frame,
    messages_frame,
)
from intercom_assets_tests.support import conversation

SYNCED = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_conversation_row_has_contract_columns_and_values():
    frame = conversations_frame([conversation("503", parts=4)], SYNCED).frame
    assert frame.schema == pl.Schema(CONVERSATION_SCHEMA)
    row = frame.row(0, named=True)
    assert row["id"] == "503"
    assert row["created_at"] == datetime(2024, 12, 18, 15, 58, 31, tzinfo=UTC)
    assert row["admin_assignee_id"] is None  # 2.16 sends 0 for unassigned
    assert row["team_assignee_id"] == "5017691"
    assert row["contact_ids"] == ["c-1"]
    assert row["teammate_ids"] == ["274"]
    assert row["tags"] == ["billing"]
    assert row["source_author_type"] == "user"
    assert row["parts_reported"] == 4  # count_conversation_parts (5) minus the opening message
    raw = json.loads(row["raw"])
    assert raw["x_unknown_field"] == {"nested": [1, 2, 3]}
    assert "conversation_parts" not in raw


def test_version_2_15_shapes_parse_the_same_way():
    row = conversations_frame([conversation(version="2.15")], SYNCED).frame.row(0, named=True)
    assert row["admin_assignee_id"] is None
    assert row["priority"] == "not_priority"


def test_numbers_sent_as_strings_are_coerced():
    payload = conversation("7", created_at=1_700_000_000)
    payload["created_at"] = "1700000000"
    payload["statistics"]["count_conversation_parts"] = "3"
    row = conversations_frame([payload], SYNCED).frame.row(0, named=True)
    assert row["created_at"] == datetime.fromtimestamp(1_700_000_000, UTC)
    assert row["parts_reported"] == 2


def test_conversation_without_created_at_is_rejected_with_its_id():
    bad = conversation("42")
    bad["created_at"] = None
    result = conversations_frame([bad, conversation("43")], SYNCED)
    assert result.frame["id"].to_list() == ["43"]
    assert [(r.id, r.reason) for r in result.rejected] == [("42", "missing id or created_at")]


def test_messages_are_source_plus_every_part_in_order():
    frame = messages_frame([conversation("503", parts=3)], SYNCED).frame
    assert frame.schema == pl.Schema(MESSAGE_SCHEMA)
    assert frame["id"].to_list() == ["src-503", "503-p0", "503-p1", "503-p2"]
    assert frame["part_type"].to_list() == ["source", "comment", "close", "comment"]
    assert frame["body"].to_list()[:3] == ["<p>Hello — مرحبا 👋</p>", "<p>reply 0</p>", None]
    assert frame["author_type"].to_list() == ["user", "admin", "admin", "admin"]


def test_source_without_id_gets_a_stable_fallback_id():
    payload = conversation("77", parts=0)
    payload["source"]["id"] = None
    frame = messages_frame([payload], SYNCED).frame
    assert frame["id"].to_list() == ["77-source"]


def test_part_without_id_is_rejected_and_the_rest_kept():
    payload = conversation("9", parts=2)
    payload["conversation_parts"]["conversation_parts"][0]["id"] = None
    result = messages_frame([payload], SYNCED)
    assert result.frame["id"].to_list() == ["src-9", "9-p1"]
    assert [(r.kind, r.id) for r in result.rejected] == [("message", "9")]


_json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_maybe_ts = st.none() | st.integers(0, 2_000_000_000) | st.integers(0, 2_000_000_000).map(str)


@st.composite
def _schema_shaped_conversation(draw: st.DrawFn) -> dict:
    conv_id = str(draw(st.integers(1, 10**9)))
    payload = conversation(conv_id, parts=draw(st.integers(0, 4)))
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=6)):
        if key not in ("id", "created_at"):
            payload[key] = draw(_json)
    payload.update(draw(st.dictionaries(st.text(min_size=1, max_size=8), _json, max_size=3)))
    payload["id"] = conv_id
    payload["created_at"] = draw(st.integers(0, 2_000_000_000))
    payload["updated_at"] = draw(_maybe_ts)
    return payload


@settings(max_examples=150, deadline=None)
@given(st.lists(_schema_shaped_conversation(), max_size=5, unique_by=lambda c: c["id"]))
def test_any_schema_shaped_payload_transforms_and_keeps_every_id(payloads):
    conversations = conversations_frame(payloads, SYNCED)
    assert sorted(conversations.frame["id"].to_list()) == sorted(p["id"] for p in payloads)
    assert conversations.rejected == []
    messages = messages_frame(payloads, SYNCED).frame
    assert set(messages["conversation_id"].to_list()) == {p["id"] for p in payloads}
