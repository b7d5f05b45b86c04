"""What every benchmark mode shares: the machine and its load, child processes, result tables.

Numbers on a shared 2-core machine are only meaningful next to what else was running, so each
mode reports the machine's total CPU use during the measurement and how much of it was ours.
"""

import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Intercom's budget: 10,000 calls/min, enforced as 1,667 per 10-second window.
BUDGET_PER_MINUTE = 10_000
SEARCH_PER_PAGE = 150
TELEMETRY_OFF = "telemetry:\n  enabled: false\n"


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process that must import `benchmarks` from the repo root."""
    path = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path), **extra}


def module_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def own_usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of this process: the one that runs the job."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class RssSampler:
    """This process's RSS every 50 ms, so that its peak can be attributed to a step."""

    def __init__(self, interval: float = 0.05) -> None:
        self.samples: list[tuple[float, float]] = []  # (epoch seconds, MiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        page_mib = os.sysconf("SC_PAGE_SIZE") / 1024**2
        with open("/proc/self/statm") as statm:
            while not self._stop.wait(interval):
                statm.seek(0)
                self.samples.append((time.time(), int(statm.read().split()[1]) * page_mib))

    def peak(self, start: float, end: float) -> float:
        return max((mib for at, mib in self.samples if start <= at <= end), default=0.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class ChildrenRss:
    """The largest total RSS of this process's children, sampled every 100 ms: the sync's
    helper process (`intercom_assets/sync/decoding.py`) is the job's memory too."""

    def __init__(self, interval: float = 0.1) -> None:
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    @staticmethod
    def _children() -> list[str]:
        found = []
        for task in Path("/proc/self/task").iterdir():
            found += (task / "children").read_text().split()
        return found

    def _run(self, interval: float) -> None:
        page_mib = os.sysconf("SC_PAGE_SIZE") / 1024**2
        while not self._stop.wait(interval):
            total = 0.0
            for pid in self._children():
                try:
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page_mib
                except (OSError, IndexError, ValueError):
                    continue  # it exited meanwhile
            self.peak_mib = max(self.peak_mib, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mib


def prepare_dagster_home(folder: Path) -> Path:
    """A throw-away DAGSTER_HOME (sqlite storage, telemetry off) so runs leave no trace."""
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(TELEMETRY_OFF)
    return home


def history_days(days: int) -> tuple[str, str]:
    """First and last partition key of an emulator history of `days` days ending today (UTC)."""
    today = datetime.now(UTC).date()
    return (today - timedelta(days=days - 1)).isoformat(), today.isoformat()


def split_days(first: str, last: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two disjoint, adjacent partition ranges covering [first, last]."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    middle = start + (end - start) // 2
    return (first, middle.isoformat()), ((middle + timedelta(days=1)).isoformat(), last)


def sync_env(base_url: str, token: str, start_date: str, database: Path) -> dict[str, str]:
    """The contract env vars a production run reads, pointed at the emulator.

    The ceiling is set explicitly so a value in the caller's shell cannot skew the bound.
    """
    return {
        "INTERCOM_BASE_URL": base_url,
        "INTERCOM_ACCESS_TOKEN": token,
        "INTERCOM_START_DATE": start_date,
        "INTERCOM_DUCKDB_PATH": str(database),
        "INTERCOM_MAX_REQUESTS_PER_MINUTE": str(BUDGET_PER_MINUTE),
    }


def bound_seconds(requests: int, rate_limit: int, window_seconds: float) -> float:
    """Fastest possible time for `requests` under the stricter of our ceiling and the server's."""
    per_second = min(BUDGET_PER_MINUTE / 60, rate_limit / window_seconds)
    return requests / per_second


def ideal_requests(conversations: int) -> int:
    """The issue's bound: one search call per 150 conversations plus one GET each."""
    return -(-conversations // SEARCH_PER_PAGE) + conversations


@dataclass(frozen=True)
class Machine:
    nproc: int
    cpu_model: str
    ram_gib: float
    python: str

    @classmethod
    def probe(cls) -> "Machine":
        model = "unknown"
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.exists():
            for line in cpuinfo.read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        ram_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024
        return cls(os.cpu_count() or 1, model, ram_kib / 1024**2, platform.python_version())

    def line(self) -> str:
        return (
            f"{self.nproc} CPUs ({self.cpu_model}), {self.ram_gib:.0f} GiB RAM, "
            f"Python {self.python}"
        )


def _busy_cpu_seconds() -> float:
    """CPU seconds all processes have used since boot (every core), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class SystemLoad:
    """Machine-wide CPU use over an interval, to say how much of it other work took.

    `ours` returns the cumulative CPU seconds of the benchmark's own processes.
    """

    def __init__(self, ours: Callable[[], float]) -> None:
        self._ours = ours
        self._ours_start = ours()
        self._busy = _busy_cpu_seconds()
        self._started = time.monotonic()
        self._load = os.getloadavg()[0]

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        busy = _busy_cpu_seconds() - self._busy
        ours_cpu_seconds = self._ours() - self._ours_start
        others = max(busy - ours_cpu_seconds, 0.0)
        return (
            f"machine busy {busy / elapsed:.2f} of {os.cpu_count()} cores on average over "
            f"{elapsed:.0f}s: ours {ours_cpu_seconds / elapsed:.2f}, "
            f"other processes {others / elapsed:.2f}; "
            f"load average {self._load:.2f} before, {os.getloadavg()[0]:.2f} after"
        )


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """A markdown table, ready to paste into benchmarks/README.md."""
    width = max(len(name) for name, _ in rows)
    print(f"\n### {title}\n")
    print(f"| {'metric'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
