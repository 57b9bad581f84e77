"""The worker runs every app's jobs and is safe to run again at once."""

import pytest
from django.core.management import call_command

from fenxiao.commissions.models import SettlementBatch

pytestmark = pytest.mark.django_db


def test_run_jobs_twice(capsys):
    call_command("run_jobs")
    first = capsys.readouterr().out
    for name in (
        "expired=",
        "completed=",
        "settled=",
        "team_bonus_proposed=",
        "levels_upgraded=",
        "leaderboards_closed=",
        "tracking_polled=",
        "supplier_statements_issued=",
        "cost_changes_applied=",
        "stock_alerts_sent=",
        "suppliers_evaluated=",
    ):
        assert name in first
    call_command("run_jobs")
    assert "settled=0" in capsys.readouterr().out
    assert SettlementBatch.objects.count() == 1
