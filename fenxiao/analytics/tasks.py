"""The work of analytics' periodic job (scheduled in `fenxiao.jobs.schedule`)."""

from __future__ import annotations

from datetime import datetime

from . import services


def run_daily_figures(now: datetime | None = None) -> dict[str, int]:
    """The console home's figures of the last closed days, counted again (idempotent)."""
    return {"days": services.roll_up_recent(now=now)}
