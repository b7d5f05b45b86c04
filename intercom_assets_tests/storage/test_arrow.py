"""Frames cross into and out of DuckDB without pyarrow (~27 MiB of library pages resident).

DuckDB imports pyarrow to recognise any Python object it is handed; `storage.arrow` hands it
bare Arrow C streams. Checked in a fresh process (the test process may have imported pyarrow
for other reasons): a sync, a re-sync of changed and deleted conversations, and the metrics.
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import logging, sys
    from datetime import UTC, datetime, timedelta
    from intercom_assets.emulator import EmulatorConfig, running_emulator
    from intercom_assets.mirror.metrics import refresh_metrics
    from intercom_assets.storage import prepare_database
    from intercom_assets.sync.engine import SyncWindow
    from intercom_assets.sync.pipeline import sync_window
    from intercom_assets_tests.support import FIXED_NOW, differences, make_client
    from pathlib import Path

    log = logging.getLogger("test")
    end = datetime.fromtimestamp(FIXED_NOW, UTC).replace(hour=0, minute=0, second=0)
    window = SyncWindow(end - timedelta(days=2), end + timedelta(days=1))
    database = sys.argv[1]
    prepare_database(database, log)
    with running_emulator(EmulatorConfig(days=3, conversations_per_day=20, now=FIXED_NOW)) as emu:
        with make_client(emu) as client:
            first = sync_window(client, database, window, log)
            changed, gone = emu.conversation_ids()[-3:-1], emu.conversation_ids()[-1]
            for cid in changed:
                emu.add_parts(cid, 2)
            emu.delete(gone)
            again = sync_window(client, database, window, log)
        refresh_metrics(database, log, window=(window.start, window.end))
        assert differences(emu, Path(database)) == [], differences(emu, Path(database))
    print(first[0].new, again[0].changed, again[0].deleted, again[1].conversations_synced)
    print("pyarrow" in sys.modules)
    """
)


def test_a_sync_and_a_resync_never_import_pyarrow(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "mirror.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts, imported = done.stdout.split("\n")[-3:-1]
    assert counts.split()[1:] == ["2", "1", "2"]
    assert imported == "False"
