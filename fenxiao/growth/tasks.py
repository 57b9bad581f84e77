"""Scheduled jobs of the growth app, idempotent and safe at any frequency: the task worker
(fenxiao/jobs), `manage.py run_jobs` and the management commands call these."""


def run_leaderboard_close(now=None) -> dict[str, int]:
    """Close the most recent ended period of every board and period kind that has prizes; a period
    already closed is skipped and awards nothing again."""
    from .services import run_leaderboard_close as close_all

    closings = close_all(now=now)
    made = [c for c in closings if c.created]
    return {
        "leaderboards_closed": len(made),
        "leaderboard_winners": sum(c.close.winners for c in made),
    }


def run_level_evaluation(now=None, month: str | None = None) -> dict[str, int]:
    """The monthly level evaluation of a closed month (default: the previous one); a rerun changes nothing."""
    from .services import run_monthly_evaluation

    run = run_monthly_evaluation(month, now)
    return {"levels_upgraded": run.upgraded, "levels_downgraded": run.downgraded}
