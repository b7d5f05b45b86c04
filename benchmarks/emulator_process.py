"""The emulator in its own process, with counters the benchmark can read over a pipe.

The emulator must not share the job's GIL, so it runs as a child process. It takes exactly the
flags of `intercom-assets emulator`. A sampler thread watches the emulator's public request
counters to time the first and the last API request (10 ms resolution) and to count requests
per rate-limit window (by arrival, so a window's edges are off by the emulated latency; the
429 count is the exact test of the budget). The parent asks for those numbers by writing
`stats` on the child's stdin and reads one JSON line back; `configure {...}` changes the
latency or the budget between phases (the no-op mode backfills without either).
"""

import json
import math
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import child_env, module_command

SAMPLE_SECONDS = 0.01


@dataclass(frozen=True)
class EmulatorStats:
    """What the emulator saw: requests by endpoint, responses by status, and their timing."""

    requests: dict[str, int]
    statuses: dict[int, int]
    first_request: float | None  # epoch seconds
    last_request: float | None
    window_counts: list[int] = field(default_factory=list)  # requests per rate-limit window
    cpu_seconds: float = 0.0
    peak_rss_mib: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def rate_limited(self) -> int:
        return self.statuses.get(429, 0)

    @property
    def active_seconds(self) -> float:
        """First to last request: the span the rate-limit bound is compared with."""
        if self.first_request is None or self.last_request is None:
            return 0.0
        return self.last_request - self.first_request


class _RequestClock:
    """Samples the public counters; sampling keeps the emulator's own code untouched."""

    def __init__(self, requests: Counter, window_seconds: float) -> None:
        self._requests = requests
        self._window = window_seconds
        self._lock = threading.Lock()
        self.reset()
        threading.Thread(target=self._run, name="bench-request-clock", daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self._seen = 0
            self.first: float | None = None
            self.last: float | None = None
            self.windows: Counter[int] = Counter()

    def _total(self) -> int | None:
        try:
            return sum(self._requests.values())
        except RuntimeError:  # a new endpoint key appeared mid-iteration; sample again
            return None

    def _run(self) -> None:
        while True:
            time.sleep(SAMPLE_SECONDS)
            total, now = self._total(), time.time()
            with self._lock:
                if total is None or total <= self._seen:
                    self._seen = min(self._seen, total or 0)  # counters were reset
                    continue
                if self.first is None:
                    self.first = now
                self.last = now
                self.windows[math.floor(now / self._window)] += total - self._seen
                self._seen = total

    def window_counts(self) -> list[int]:
        with self._lock:
            return [self.windows[key] for key in sorted(self.windows)]


def _child(argv: list[str]) -> None:
    """Child side: serve the emulator and answer `stats` / `reset` lines until stdin closes."""
    from intercom_assets.emulator import Emulator
    from intercom_assets.emulator.cli import build_parser, config_from_args

    args = build_parser().parse_args(argv)
    started = time.monotonic()
    emulator = Emulator(config_from_args(args), host=args.host, port=args.port).start()
    clock = _RequestClock(emulator.requests, emulator.config.window_seconds)
    ready = {
        "base_url": emulator.base_url,
        "token": emulator.token,
        "conversations": len(emulator.conversation_ids()),
        "build_seconds": round(time.monotonic() - started, 2),
    }
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "reset":
            emulator.reset_counters()
            clock.reset()
            print("{}", flush=True)
        elif command.startswith("configure "):
            _configure(emulator, json.loads(command.removeprefix("configure ")))
            print("{}", flush=True)
        elif command == "stats":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            stats = {
                "requests": dict(emulator.requests),
                "statuses": dict(emulator.status_counts),
                "first_request": clock.first,
                "last_request": clock.last,
                "window_counts": clock.window_counts(),
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mib": usage.ru_maxrss / 1024,
            }
            print(json.dumps(stats), flush=True)
    emulator.stop()


# What `configure` may change while the emulator runs (its config is read per request).
_FAULT_KNOBS = ("latency_ms", "search_latency_ms", "latency_jitter")
_CONFIG_KNOBS = ("rate_limit_per_window",)


def _configure(emulator: Any, changes: dict[str, Any]) -> None:
    """Change latency or budget between phases (a fast backfill, then the measured run)."""
    for name, value in changes.items():
        if name in _FAULT_KNOBS:
            setattr(emulator.config.faults, name, value)
        elif name in _CONFIG_KNOBS:
            setattr(emulator.config, name, value)
        else:
            raise ValueError(f"cannot configure {name!r}")


class EmulatorProcess:
    """Parent side: a running child emulator; use `emulator_process()` to start one."""

    def __init__(self, process: subprocess.Popen, ready: dict[str, Any]) -> None:
        self._process = process
        self.pid = process.pid
        self.base_url: str = ready["base_url"]
        self.token: str = ready["token"]
        self.conversations: int = ready["conversations"]
        self.build_seconds: float = ready["build_seconds"]

    def _ask(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())

    def stats(self) -> EmulatorStats:
        raw = self._ask("stats")
        raw["statuses"] = {int(code): count for code, count in raw["statuses"].items()}
        return EmulatorStats(**raw)

    def reset(self) -> None:
        self._ask("reset")

    def configure(self, **changes: float) -> None:
        """Set latency_ms, search_latency_ms, latency_jitter or rate_limit_per_window."""
        self._ask("configure " + json.dumps(changes))


@contextmanager
def emulator_process(emulator_args: list[str]) -> Iterator[EmulatorProcess]:
    """Start `intercom-assets emulator <emulator_args>` semantics in a child on a free port."""
    command = module_command("benchmarks.emulator_process", "--port", "0", *emulator_args)
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env()
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator exited with code {process.wait()} before serving")
        yield EmulatorProcess(process, json.loads(line))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    _child(sys.argv[1:])
