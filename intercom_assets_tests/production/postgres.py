"""A throwaway PostgreSQL cluster from Debian's binaries, on loopback, in a temp dir.

`initdb` refuses to run as root (CI runs as root), so the cluster is created and served by
the unprivileged `nobody` user when we are root. Password auth (scram) is on, so the Dagster
processes connect exactly as in production: from `DAGSTER_PG_*` variables.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

USER = "dagster"
DATABASE = "dagster"


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL bin dir (`/usr/lib/postgresql/<major>/bin`), if installed."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Cluster:
    port: int
    password: str

    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USERNAME": USER,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": DATABASE,
        }

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple]:
        """Rows of `sql` on the Dagster database (run records, event logs, ticks)."""
        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=USER, password=self.password, dbname=DATABASE
        )
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            conn.close()


def _as_owner() -> dict[str, Any]:
    """Popen arguments that drop root to `nobody` (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@contextmanager
def throwaway_cluster(bindir: Path) -> Iterator[Cluster]:
    """initdb + pg_ctl start in a fresh temp dir; stopped and deleted on exit."""
    folder = Path(tempfile.mkdtemp(prefix="intercom-pg-"))
    owner = _as_owner()
    run = {**owner, "cwd": folder, "env": {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}}
    password = os.urandom(12).hex()
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if owner:
        os.chown(folder, owner["user"], owner["group"])
        os.chown(pwfile, owner["user"], owner["group"])
    data = folder / "data"
    subprocess.run(
        [bindir / "initdb", "-D", data, "-U", USER, f"--pwfile={pwfile}", "-E", "UTF8",
         "--auth=scram-sha-256", "--no-sync"],
        check=True, capture_output=True, **run,
    )  # fmt: skip
    port = free_port()
    # Loopback only, socket in the temp dir, durability off: it is thrown away.
    options = f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    ctl = [bindir / "pg_ctl", "-D", data, "-w", "-t", "60"]
    subprocess.run(
        [*ctl, "-l", folder / "postgres.log", "-o", options, "start"],
        check=True, capture_output=True, **run,
    )  # fmt: skip
    try:
        admin = psycopg2.connect(
            host="127.0.0.1", port=port, user=USER, password=password, dbname="postgres"
        )
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
        admin.close()
        yield Cluster(port, password)
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, **run)
        shutil.rmtree(folder, ignore_errors=True)
