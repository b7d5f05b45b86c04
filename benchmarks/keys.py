"""What primary keys cost the mirror: insert speed and file size, keyed vs unkeyed.

Writes a synthetic messages table in batches (one transaction each, like the messages step)
through the product's own write path, once into a file created without keys and once with
keys (as for `md:` databases), then reports wall time and file size.

    python -m benchmarks.keys                     # 10^6 messages in 5,000-message batches
    python -m benchmarks.keys --messages 200000
"""

import argparse
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # `python benchmarks/keys.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl

from benchmarks.common import print_table
from intercom_assets.storage import prepare_database, transaction
from intercom_assets.storage.writes import upsert_messages

LOG = logging.getLogger("benchmarks.keys")


def synthetic_batch(start: int, size: int, parts_per_conversation: int = 20) -> pl.DataFrame:
    """`size` messages of conversations numbered from start // parts_per_conversation."""
    ids = range(start, start + size)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "conversation_id": [str(100_000_000 + i // parts_per_conversation) for i in ids],
            "id": [str(9_000_000_000 + i) for i in ids],
            "part_type": ["comment"] * size,
            "body": [f"<p>message {i} about the export job</p>" for i in ids],
            "author_type": ["admin"] * size,
            "author_id": ["991267401"] * size,
            "author_name": ["Ciarán Lee"] * size,
            "author_email": ["ciaran@emulated.example"] * size,
            "created_at": [created] * size,
            "updated_at": [created] * size,
            "redacted": [False] * size,
            "raw": [f'{{"type":"conversation_part","id":"{i}"}}' for i in ids],
            "synced_at": [created] * size,
        }
    )


def measure(database: Path, messages: int, batch: int, keyed: bool) -> tuple[float, int]:
    prepare_database(str(database), LOG, keyed=keyed)
    started = time.perf_counter()
    for start in range(0, messages, batch):
        frame = synthetic_batch(start, min(batch, messages - start))
        with transaction(str(database), LOG) as conn:
            upsert_messages(conn, frame)
    return time.perf_counter() - started, database.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for keyed in (False, True):
            database = Path(scratch) / f"{'keyed' if keyed else 'plain'}.duckdb"
            results[keyed] = measure(database, args.messages, args.batch, keyed)
        (plain_s, plain_b), (keyed_s, keyed_b) = results[False], results[True]
        rows = [
            ("messages written", f"{args.messages:,} in batches of {args.batch:,}"),
            ("unkeyed: wall time / file size", f"{plain_s:.1f} s / {plain_b / 2**20:,.1f} MiB"),
            ("keyed: wall time / file size", f"{keyed_s:.1f} s / {keyed_b / 2**20:,.1f} MiB"),
            ("keyed / unkeyed", f"{keyed_s / plain_s:.2f}x time, {keyed_b / plain_b:.2f}x size"),
        ]
    print_table("Primary keys: cost on the messages table", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
