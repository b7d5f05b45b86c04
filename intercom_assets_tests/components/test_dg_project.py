"""The `dg` face of the project: the component is listed, and the code location loads from a
plain (non-editable) wheel install, where no pyproject.toml sits above the package."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from intercom_assets.definitions import defs
from intercom_assets_tests.support import REPO

BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "VIRTUAL_ENV": str(BIN.parent), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def test_dg_lists_the_component():
    listed = _run([str(BIN / "dg"), "list", "components"], REPO, COLUMNS="200")
    assert "intercom_assets.IntercomWorkspaceComponent" in listed


def test_the_code_location_loads_from_a_wheel_installed_in_a_fresh_venv(tmp_path):
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(REPO),
        ],
        tmp_path,
    )
    (wheel,) = wheels.glob("intercom_assets-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # Dependencies come from this venv's site-packages as a plain path entry: its .pth files
    # (the editable install's finder) are not processed, so only the wheel provides the package.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        tmp_path,
    )
    loaded = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import intercom_assets, intercom_assets.definitions as d;"
            "print(intercom_assets.__file__);"
            "print(sorted(k.to_user_string() for k in d.defs.resolve_all_asset_keys()))",
        ],
        tmp_path,
    )
    package, keys = loaded.strip().splitlines()[-2:]
    assert package.startswith(str(site))
    assert keys == str(sorted(k.to_user_string() for k in defs.resolve_all_asset_keys()))
    assert "'intercom/messages'" in keys
