"""Every table asset tells the catalog what it is: table name, column schema (the columns
DuckDB really has), owners from the component, kinds, code references, a description."""

import logging
from pathlib import Path

import dagster as dg
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from intercom_assets import IntercomWorkspaceComponent
from intercom_assets.storage import prepare_database
from intercom_assets_tests.support import query

OWNERS = ["team:support-ops", "ada@example.com"]


@pytest.fixture(scope="module")
def table_assets() -> list[dg.AssetSpec]:
    """The default workspace's table assets, built from YAML that sets owners."""
    body = {"type": "intercom_assets.IntercomWorkspaceComponent", "attributes": {"owners": OWNERS}}
    with create_defs_folder_sandbox() as sandbox:
        path = sandbox.scaffold_component(
            IntercomWorkspaceComponent, defs_path="intercom", defs_yaml_contents=body
        )
        with sandbox.load_component_and_build_defs(defs_path=path) as (_, defs):
            specs = list(defs.resolve_all_asset_specs())
    return [s for s in specs if "dagster/auto_created_stub_asset" not in s.metadata]


def test_every_table_asset_names_its_table_owners_kinds_and_code(table_assets):
    assert len(table_assets) >= 7
    for asset in table_assets:
        table = asset.key.path[-1]
        assert asset.metadata["dagster/table_name"] == f"intercom.{table}", asset.key
        assert list(asset.owners) == OWNERS, asset.key
        assert {"intercom", "duckdb"} <= set(asset.kinds), asset.key
        references = asset.metadata["dagster/code_references"].code_references
        python = [r for r in references if r.file_path.endswith(".py")]
        assert python, asset.key
        for reference in python:
            source = Path(reference.file_path).read_text().splitlines()
            decorated = source[reference.line_number - 1 : reference.line_number + 20]
            assert any(line.lstrip().startswith("def ") for line in decorated), reference
        assert any(r.file_path.endswith("defs.yaml") for r in references), asset.key


def test_every_column_schema_is_what_duckdb_has(table_assets, tmp_path):
    database = str(tmp_path / "mirror.duckdb")
    prepare_database(database, logging.getLogger("test"))
    for asset in table_assets:
        schema = asset.metadata["dagster/column_schema"]
        declared = [
            (c.name, query(database, f"SELECT typeof(CAST(NULL AS {c.type}))")[0][0])
            for c in schema.columns
        ]
        stored = query(
            database,
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'intercom' AND table_name = ? ORDER BY ordinal_position",
            [asset.key.path[-1]],
        )
        assert declared == stored, asset.key
        assert all(c.description for c in schema.columns), asset.key


def test_the_mirror_tables_say_what_a_row_is_its_key_and_what_keeps_it_current(table_assets):
    by_table = {asset.key.path[-1]: asset for asset in table_assets}
    expected_keys = {
        "conversations": "key `id`",
        "messages": "key (`conversation_id`, `id`)",
        "deleted_conversations": "key `id`",
    }
    for table, key in expected_keys.items():
        description = by_table[table].description
        assert description.startswith("One row per"), description
        assert key in description and "intercom_updates_sensor" in description, description
    columns = by_table["messages"].metadata["dagster/column_schema"].columns
    assert {c.name: c.constraints.nullable for c in columns}["conversation_id"] is False
