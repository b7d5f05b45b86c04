"""Automation: the updates sensor and the schedules that keep the mirror current."""

from intercom_assets.automation.schedules import (
    intercom_daily_schedule,
    intercom_freshness_schedule,
    intercom_reconcile_schedule,
)
from intercom_assets.automation.sensor import build_updates_sensor

__all__ = [
    "build_updates_sensor",
    "intercom_daily_schedule",
    "intercom_freshness_schedule",
    "intercom_reconcile_schedule",
]
