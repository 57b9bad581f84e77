"""Scheduled jobs of the members app, idempotent and safe at any frequency: the task worker
(fenxiao/jobs), `manage.py run_jobs` and the management commands call these."""

from __future__ import annotations


def run_points_expiry(now=None) -> dict[str, int]:
    """Empty every available points lot past its expiry (first to expire first)."""
    from .services import expire_due

    return {"points_expired": expire_due(now)}


def run_tier_evaluation(now=None) -> dict[str, int]:
    """Recompute every member's spending in the window; tiers follow it up and down."""
    from .services import evaluate_tiers

    result = evaluate_tiers(now)
    return {"members_evaluated": result.evaluated, "tiers_upgraded": result.upgraded, "tiers_downgraded": result.downgraded}
