"""Reading check evaluations out of real runs."""

from typing import Any

import dagster as dg


def evaluation(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return found


def metadata(found: dg.AssetCheckEvaluation) -> dict[str, Any]:
    return {key: value.value for key, value in found.metadata.items()}
