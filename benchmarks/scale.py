"""Scale mode: the overhead path (no latency, no budget) at growing sizes, one process each.

Cost must grow linearly and memory must stay flat, so the same sync runs at 10^4, 10^5 and
10^6 conversations (`python -m benchmarks.overhead` in a fresh process per size, so each peak
RSS is that size's own) and one table shows time, conversations/s, messages/s, peak RSS and
the DuckDB file size per 10^6 messages.

    python -m benchmarks.scale                                  # 10^4, 10^5, 10^6
    python -m benchmarks.scale --sizes 10000,100000 --body-scale 10   # 10x larger bodies
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

if not __package__:  # `python benchmarks/scale.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import Machine, child_env, module_command, print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="conversations per run")
    parser.add_argument("--body-scale", type=int, default=1, help="10: 10x larger bodies")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="intercom-scale-") as scratch:
        for size in sizes:
            target = Path(scratch) / f"{size}.json"
            command = module_command(
                "benchmarks.overhead",
                f"--conversations={size}",
                f"--body-scale={args.body_scale}",
                f"--summary-json={target}",
            )
            subprocess.run(command, env=child_env(), check=False)
            if not target.exists():
                rows.append((f"{size:,}", "FAILED"))
                continue
            run = json.loads(target.read_text())
            seconds, messages = run["seconds"], run["messages"]
            rows.append(
                (
                    f"{size:,} conversations, {messages:,} messages",
                    f"{seconds:,.1f} s; **{size / seconds:,.0f} conv/s**, "
                    f"{messages / seconds:,.0f} msg/s; **peak RSS {run['peak_rss_mib']:,.0f} "
                    f"MiB** (+ helper process {run.get('helper_rss_mib', 0):,.0f} MiB); DuckDB "
                    f"{run['file_mib'] * 1e6 / max(messages, 1):,.0f} MiB per "
                    f"10^6 messages; {run['load']}",
                )
            )
    print_table(f"Scale mode (body scale {args.body_scale})", rows)
    print(f"\nMachine: {Machine.probe().line()}")
    return 0 if all("FAILED" not in value for _, value in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
