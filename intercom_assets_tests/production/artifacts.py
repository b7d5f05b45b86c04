"""The deployment files under deploy/, read the way Docker and Compose read them, so the
production suite runs the very commands the image and the compose file declare."""

import json
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def image_command() -> list[str]:
    """The image's CMD (exec form)."""
    (cmd,) = [args for keyword, args in dockerfile_instructions() if keyword == "CMD"]
    return json.loads(cmd)


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def service_command(service: str) -> list[str]:
    """A compose service's command, or the image's CMD when it sets none."""
    return compose()["services"][service].get("command") or image_command()


def with_options(argv: list[str], **options: str) -> list[str]:
    """`argv` with the values of its short options replaced, e.g. h="127.0.0.1"."""
    out = list(argv)
    for flag, value in options.items():
        index = out.index(f"-{flag}")
        out[index + 1] = value
    return out
