"""One column list drives the DDL and the frames; earlier releases' mirrors upgrade in place."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from intercom_assets.storage import prepare_database, transaction, write_messages
from intercom_assets.storage.columns import CONVERSATIONS, MESSAGES, TABLES, column_schema
from intercom_assets.sync.transforms import (
    CONVERSATION_SCHEMA,
    MESSAGE_SCHEMA,
    conversations_frame,
    messages_frame,
)
from intercom_assets_tests.support import (
    conversation,
    differences,
    query,
    sync,
    with_database,
)

LOG = logging.getLogger("test")
PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "previous_release.sql"


def columns(database: str) -> dict[str, list[tuple[str, str]]]:
    rows = query(
        database,
        "SELECT table_name, column_name, data_type FROM duckdb_columns()"
        " WHERE schema_name = 'intercom' AND table_name IN ?"
        " ORDER BY table_name, column_index",
        [[table.name for table in TABLES]],
    )
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, []).append((column, data_type))
    return found


def expected_columns() -> dict[str, list[tuple[str, str]]]:
    """The column list, with types spelled as DuckDB's catalog spells them."""
    spelled = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}
    return {t.name: [(c.name, spelled.get(c.duckdb, c.duckdb)) for c in t.columns] for t in TABLES}


def test_the_column_list_drives_the_tables_and_the_frames(duckdb_path: Path) -> None:
    prepare_database(str(duckdb_path), LOG)
    assert columns(str(duckdb_path)) == expected_columns()
    assert CONVERSATIONS.frame_schema() == CONVERSATION_SCHEMA
    assert MESSAGES.frame_schema() == MESSAGE_SCHEMA
    assert list(CONVERSATION_SCHEMA)[-3:] == ["raw", "payload_digest", "synced_at"]
    assert column_schema(CONVERSATIONS)[0] == ("id", "VARCHAR", "Intercom conversation id")
    assert all(description for table in TABLES for _, _, description in column_schema(table))


def sorted_columns(database: str | None) -> dict[str, list[tuple[str, str]]]:
    """Columns by name, of `database` or (None) of the column list."""
    found = expected_columns() if database is None else columns(database)
    return {table: sorted(names) for table, names in found.items()}


def _previous_release_mirror(current: str, target: Path) -> None:
    """A mirror as the previous release left it: its DDL, holding the rows of `current`."""
    conn = duckdb.connect(str(target))
    try:
        conn.execute(PREVIOUS_RELEASE.read_text())
        conn.execute(f"ATTACH '{current}' AS current (READ_ONLY)")
        for table in ("conversations", "messages", "deleted_conversations"):
            old = [
                row[0]
                for row in conn.execute(
                    "SELECT column_name FROM duckdb_columns()"
                    " WHERE database_name = current_database() AND table_name = ?"
                    " ORDER BY column_index",
                    [table],
                ).fetchall()
            ]
            names = ", ".join(old)
            conn.execute(
                f"INSERT INTO intercom.{table} ({names})"
                f" SELECT {names} FROM current.intercom.{table}"
            )
    finally:
        conn.close()


def test_a_previous_release_mirror_upgrades_in_place_and_ends_exact_after_a_sync(
    emulator, sync_resources, tmp_path: Path
) -> None:
    sync(sync_resources)
    upgraded = tmp_path / "previous.duckdb"
    _previous_release_mirror(sync_resources["duckdb"].database, upgraded)
    before = columns(str(upgraded))
    assert ("payload_digest", "VARCHAR") not in before["conversations"]
    old = with_database(sync_resources, str(upgraded))
    silent, grown = emulator.conversation_ids()[2], emulator.conversation_ids()[9]
    emulator.advance(60)
    emulator.set_attributes(silent, priority="high", bump_updated_at=False)
    emulator.add_parts(grown, 1)
    emulator.reset_counters()

    sync(old)

    assert sorted_columns(str(upgraded)) == sorted_columns(None)  # new columns come last
    assert emulator.requests["get"] == 1  # the upgrade refetches nothing that did not change
    assert differences(emulator, upgraded) == []
    assert query(old, f"SELECT priority FROM intercom.conversations WHERE id = '{silent}'") == [
        ("high",)
    ]
    assert query(
        old, "SELECT count(*) FROM intercom.conversations WHERE payload_digest IS NULL"
    ) == [(0,)]
    prepare_database(str(upgraded), LOG)  # idempotent at every run start
    assert sorted_columns(str(upgraded)) == sorted_columns(None)


def _text_storage(database: Path) -> tuple[str, set[tuple[str, str, str]]]:
    """The file's storage version and how its long text columns' segments are stored."""
    version = query(
        database,
        "SELECT tags['storage_version'] FROM duckdb_databases()"
        " WHERE database_name = current_database()",
    )[0][0]
    segments = {
        (table, column, compression)
        for table in ("conversations", "messages")
        for column, compression in query(
            database,
            f"SELECT DISTINCT column_name, compression FROM pragma_storage_info('intercom.{table}')"
            " WHERE column_name IN ('raw', 'body') AND segment_type <> 'VALIDITY'",
        )
    }
    return version, segments


def _write_one(database: Path) -> None:
    prepare_database(str(database), LOG)
    payloads = [conversation(str(n), parts=3) for n in range(1, 40)]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with transaction(str(database), LOG) as conn:
        frame = conversations_frame(payloads, now).frame
        markers = frame.select("id", "updated_at")
        write_messages(conn, frame, markers, messages_frame(payloads, now).frame, now)


def test_a_new_mirror_stores_its_long_text_with_zstd_and_an_earlier_file_keeps_its_format(
    tmp_path: Path,
) -> None:
    new, old = tmp_path / "new.duckdb", tmp_path / "old.duckdb"
    _write_one(new)
    assert _text_storage(new) == (
        "v1.2.0+",
        {
            ("conversations", "raw", "ZSTD"),
            ("messages", "raw", "ZSTD"),
            ("messages", "body", "ZSTD"),
        },
    )
    conn = duckdb.connect(str(old))  # an earlier release's file: DuckDB's default format
    conn.execute(PREVIOUS_RELEASE.read_text())
    conn.close()
    before = _text_storage(old)[0]

    _write_one(old)

    version, segments = _text_storage(old)
    assert version == before != "v1.2.0+"
    assert {compression for _, _, compression in segments}.isdisjoint({"ZSTD"})
    assert query(old, "SELECT count(*), count(DISTINCT raw) FROM intercom.messages") == [
        (39 * 4, 39 * 4)
    ]
    assert query(new, "SELECT body, raw FROM intercom.messages ORDER BY ALL") == query(
        old, "SELECT body, raw FROM intercom.messages ORDER BY ALL"
    )
