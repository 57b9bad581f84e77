"""The settlement pages of the admin: the schedule form validates like the service, the batch list
shows what is due, and "运行到期结算" starts the due batch as a console job, which runs it once."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from fenxiao.commissions.calculator import ceiling_bp_setting
from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import Commission, CommissionSettings, SettlementBatch
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import settlement
from fenxiao.console.jobs import services as jobs
from fenxiao.console.models import BackgroundJob
from tests.factories import OrderFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    user = StaffFactory(is_superuser=False)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="commissions"))
    client.force_login(user)
    return client


def test_schedule_form_refuses_what_the_service_refuses(finance):
    url = reverse("admin:commissions_commissionsettings_add")
    response = finance.post(url, {"ceiling_bp": "50", "schedule": "monthly", "t_plus_days": 3, "weekday": 0, "month_day": 31})
    assert response.status_code == 200
    assert not CommissionSettings.objects.exists()
    response = finance.post(url, {"ceiling_bp": "100.01", "schedule": "weekly", "t_plus_days": 5, "weekday": 4, "month_day": 1})
    assert response.status_code == 200
    assert not CommissionSettings.objects.exists()
    response = finance.post(url, {"ceiling_bp": "30", "schedule": "weekly", "t_plus_days": 5, "weekday": 4, "month_day": 1})
    assert response.status_code == 302
    conf = CommissionSettings.objects.get()
    assert (conf.ceiling_bp, conf.schedule, conf.t_plus_days, conf.weekday) == (3000, "weekly", 5, 4)
    assert conf.updated_by is not None
    assert ceiling_bp_setting() == 3000


def test_the_saved_ceiling_scales_down_new_commissions(bound_buyer, beauty, distributor):
    # beauty: paid 15000, cost 5000, margin 10000; direct 20% = 3000 and indirect 5% = 750
    settlement.set_margin_ceiling(actor=None, ceiling_bp=3000)  # at most 3000 of the margin
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    rows = {c.depth: c for c in Commission.objects.filter(order=order)}
    assert sum(c.amount_fen for c in rows.values()) == 3000
    assert rows[1].capped and rows[1].uncapped_fen == 3000 and rows[1].amount_fen < 3000
    with pytest.raises(CommissionError):
        settlement.set_margin_ceiling(actor=None, ceiling_bp=10001)


def test_run_due_batch_from_the_batch_list(finance, bound_buyer, beauty, distributor):
    order = OrderFactory(paid=True, user=bound_buyer, items=[(beauty, 1)])
    Commission.objects.filter(order=order).update(eligible_at="2026-01-01T00:00:00+08:00")
    page = finance.get(reverse("admin:commissions_settlementbatch_changelist"))
    assert page.status_code == 200
    assert "现在运行将结算 2 笔佣金" in page.content.decode()
    run = reverse("console:start_job", args=["commissions.settlement"])
    assert run in page.content.decode()
    for _ in range(2):  # the same period again: nothing more
        response = finance.post(run)
        job = BackgroundJob.objects.latest("pk")
        assert response.status_code == 302 and response["Location"] == reverse("console:job", args=[job.pk])
        jobs.run(job.pk)
    assert SettlementBatch.objects.count() == 1
    assert earnings_summary(distributor).available_fen == 3000


def test_running_needs_the_permission(client, db):
    client.force_login(StaffFactory(is_superuser=False))
    response = client.post(reverse("console:start_job", args=["commissions.settlement"]))
    assert response.status_code == 403
    assert not SettlementBatch.objects.exists() and not BackgroundJob.objects.exists()


def test_the_old_inline_run_address_is_gone(finance):
    assert finance.post("/admin/commissions/settlementbatch/run/").status_code in (302, 404)
    assert not SettlementBatch.objects.exists()
