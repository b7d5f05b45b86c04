"""INTERCOM_PRIVACY: personal data hashed or dropped at write time, in the columns and in
`raw`, on a real sync from the emulator into DuckDB."""

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets.sync.privacy import Privacy, PrivacyConfigError
from intercom_assets_tests.support import conversation, make_resources, query, sync


def _authors(emulator: Emulator) -> tuple[set[str], set[str]]:
    """Every author email and name the emulator's conversations show."""
    emails, names = set(), set()
    for cid in emulator.conversation_ids():
        snap = emulator.snapshot(cid)
        for message in [snap["source"], *snap["conversation_parts"]["conversation_parts"]]:
            emails.add(message["author"].get("email"))
            names.add(message["author"].get("name"))
    return emails - {None, ""}, names - {None, ""}


def _stored_text(database) -> str:
    rows = query(database, "SELECT * FROM intercom.messages") + query(
        database, "SELECT * FROM intercom.conversations"
    )
    return "\n".join(str(value) for row in rows for value in row)


def test_parse_names_the_variable_and_the_options() -> None:
    assert not Privacy.parse("").active
    assert Privacy.parse(" Hash_Emails , drop_bodies ") == Privacy(True, "drop", False)
    with pytest.raises(PrivacyConfigError, match=r"INTERCOM_PRIVACY has unknown option\(s\) mask"):
        Privacy.parse("hash_emails,mask")
    with pytest.raises(PrivacyConfigError, match="not both"):
        Privacy.parse("hash_bodies,drop_bodies")


def test_scrub_hashes_emails_and_bodies_of_every_message_and_leaves_the_payload_alone() -> None:
    payload = conversation(parts=2)
    clean = Privacy.parse("hash_emails,hash_bodies", salt="s").scrub(payload)
    digest = Privacy(salt="s").digest
    assert clean["source"]["author"]["email"] == digest("ada@example.com")
    assert clean["source"]["body"] == digest("<p>Hello — مرحبا 👋</p>")
    first, second = clean["conversation_parts"]["conversation_parts"]
    assert first["author"]["email"] == digest("op@x.io")
    assert first["body"] == digest("<p>reply 0</p>") and second["body"] is None
    assert payload["source"]["author"]["email"] == "ada@example.com"  # input untouched
    assert Privacy().scrub(payload) is payload


def test_hash_emails_and_drop_bodies_reach_neither_columns_nor_raw(
    emulator: Emulator, duckdb_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERCOM_PRIVACY", "hash_emails,drop_bodies")
    monkeypatch.setenv("INTERCOM_PRIVACY_SALT", "pepper")
    sync(make_resources(emulator, duckdb_path))

    emails, _ = _authors(emulator)
    text = _stored_text(duckdb_path)
    assert emails and not [email for email in emails if email in text]
    hashed = {row[0] for row in query(duckdb_path, "SELECT author_email FROM intercom.messages")}
    expected = {Privacy(salt="pepper").digest(email.lower()) for email in emails}
    assert hashed - {None, ""} == expected  # authors without an email keep none
    assert query(duckdb_path, "SELECT count(*) FROM intercom.messages WHERE body IS NOT NULL") == [
        (0,)
    ]
    assert '"body"' not in text
    ((stored,),) = query(duckdb_path, "SELECT count(*) FROM intercom.conversations")
    assert stored == len(emulator.conversation_ids())  # nothing else is lost


def test_drop_personal_removes_names_emails_and_titles(
    emulator: Emulator, duckdb_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTERCOM_PRIVACY", "drop_personal")
    sync(make_resources(emulator, duckdb_path))

    emails, names = _authors(emulator)
    text = _stored_text(duckdb_path)
    assert not [value for value in emails | names if value in text]
    assert query(
        duckdb_path,
        "SELECT count(*) FROM intercom.messages"
        " WHERE author_name IS NOT NULL OR author_email IS NOT NULL",
    ) == [(0,)]
    assert query(
        duckdb_path, "SELECT count(*) FROM intercom.conversations WHERE title IS NOT NULL"
    ) == [(0,)]
    assert query(duckdb_path, "SELECT count(*) FROM intercom.messages WHERE body IS NOT NULL") != [
        (0,)
    ]  # bodies are kept unless asked
