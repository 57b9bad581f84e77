"""The settlement job: T+N, weekly and monthly batches, local-day boundaries, missed runs made up,
kill-and-rerun at every step, concurrent runs, and refunds either side of the batch."""

import threading
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import Commission, CommissionSettings, SettlementBatch
from fenxiao.commissions.selectors import earnings_summary
from fenxiao.commissions.services import settlement
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order
from tests.factories import DistributorFactory, OrderFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
S = Commission.Status


def local(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def operator(db):
    return StaffFactory()


@pytest.fixture
def completed(bound_buyer, beauty, operator):
    """Make an order of the beauty serum (direct 3000, indirect 750) completed at `at`."""

    def make(at, buyer=None, quantity=1):
        order = OrderFactory(
            completed=True, user=buyer or bound_buyer, items=[(beauty, quantity)], operator=operator, completed_at=at
        )
        assert order.status == Order.Status.COMPLETED and order.completed_at == at
        return order

    return make


def sound():
    assert list(ledger_selectors.violations()) == []


def test_completion_makes_commissions_eligible_not_settled(completed, distributor):
    order = completed(local(2026, 11, 10, 15, 0))
    rows = Commission.objects.filter(order=order)
    assert {r.status for r in rows} == {S.PENDING}
    assert {r.eligible_at for r in rows} == {order.completed_at}
    assert earnings_summary(distributor).pending_fen == 3000


def test_daily_t_plus_3_settles_on_the_third_local_day(completed, distributor, upline):
    order = completed(local(2026, 11, 10, 23, 59))  # local day T = 11-10
    assert settlement.run_settlement(now=local(2026, 11, 12, 9, 0)).commission_count == 0  # T+2
    batch = settlement.run_settlement(now=local(2026, 11, 13, 0, 5))  # T+3, just after midnight
    assert (batch.period, batch.commission_count, batch.distributor_count, batch.amount_fen) == ("2026-11-13", 2, 2, 3750)
    assert set(Commission.objects.filter(order=order).values_list("status", "settlement_batch")) == {(S.SETTLED, batch.pk)}
    assert (earnings_summary(distributor).available_fen, earnings_summary(distributor).pending_fen) == (3000, 0)
    assert earnings_summary(upline).available_fen == 750
    sound()


def test_just_after_local_midnight_waits_a_day_more(completed, distributor):
    completed(local(2026, 11, 11, 0, 1))  # local day 11-11, although 11-10 in UTC
    assert settlement.run_settlement(now=local(2026, 11, 13, 23, 0)).commission_count == 0
    assert settlement.run_settlement(now=local(2026, 11, 14, 1, 0)).commission_count == 2


def test_a_period_runs_once_and_reruns_post_nothing(completed):
    completed(local(2026, 11, 1, 12, 0))
    first = settlement.run_settlement(now=local(2026, 11, 5, 2, 0))
    txns = Transaction.objects.count()
    assert settlement.run_settlement(now=local(2026, 11, 5, 2, 0)) is None
    assert settlement.run_settlement(now=local(2026, 11, 5, 23, 0)) is None
    assert Transaction.objects.count() == txns
    assert SettlementBatch.objects.get() == first


def test_missed_days_are_made_up_by_the_next_run(completed, distributor):
    completed(local(2026, 11, 1, 12, 0))
    completed(local(2026, 11, 3, 12, 0))
    completed(local(2026, 11, 20, 12, 0))
    batch = settlement.run_settlement(now=local(2026, 11, 21, 2, 0))  # nothing ran for three weeks
    assert batch.commission_count == 4  # the two old orders; the one of 11-20 is not yet T+3
    assert earnings_summary(distributor).available_fen == 6000
    assert earnings_summary(distributor).pending_fen == 3000


def test_weekly_batches_on_the_chosen_weekday(completed, distributor, operator):
    settlement.update_settlement_settings(actor=operator, schedule="weekly", t_plus_days=3, weekday=0)  # Mondays
    completed(local(2026, 11, 18, 12, 0))  # Wednesday
    # Monday 11-23: completed 11-18 is before 11-23 − 3 days → settled in week 48's batch
    batch = settlement.run_settlement(now=local(2026, 11, 25, 9, 0))  # Wednesday: makes up Monday's batch
    assert (batch.period, batch.commission_count) == ("2026-W48", 2)
    completed(local(2026, 11, 24, 12, 0))
    assert settlement.run_settlement(now=local(2026, 11, 29, 9, 0)) is None  # still week 48
    batch = settlement.run_settlement(now=local(2026, 11, 30, 0, 30))
    assert (batch.period, batch.commission_count) == ("2026-W49", 2)
    assert earnings_summary(distributor).available_fen == 6000


def test_monthly_batches_on_the_chosen_day(completed, operator):
    settlement.update_settlement_settings(actor=operator, schedule="monthly", t_plus_days=0, month_day=5)
    completed(local(2026, 10, 30, 12, 0))
    completed(local(2026, 11, 5, 12, 0))
    batch = settlement.run_settlement(now=local(2026, 11, 3, 9, 0))  # before the 5th: October's batch
    assert (batch.period, batch.commission_count) == ("2026-10", 0)
    batch = settlement.run_settlement(now=local(2026, 11, 5, 18, 0))
    assert (batch.period, batch.commission_count) == ("2026-11", 4)  # T+0: both, up to now


@pytest.mark.parametrize(
    "values",
    [
        {"schedule": "hourly", "t_plus_days": 3},
        {"schedule": "daily", "t_plus_days": -1},
        {"schedule": "daily", "t_plus_days": 91},
        {"schedule": "weekly", "t_plus_days": 3, "weekday": 7},
        {"schedule": "monthly", "t_plus_days": 3, "month_day": 29},
        {"schedule": "monthly", "t_plus_days": 3, "month_day": 0},
        {"schedule": "daily", "t_plus_days": True},
    ],
)
def test_schedule_is_validated(values, operator):
    with pytest.raises(CommissionError) as exc:
        settlement.update_settlement_settings(actor=operator, **values)
    assert exc.value.code == "invalid_schedule"
    assert not CommissionSettings.objects.filter(schedule="hourly").exists()


@pytest.mark.parametrize("crash_at", ["update", "post", "save"])
def test_killed_at_any_step_leaves_nothing_and_the_rerun_settles_all_once(completed, distributor, crash_at):
    completed(local(2026, 11, 1, 12, 0))
    completed(local(2026, 11, 2, 12, 0))
    targets = {
        "update": "fenxiao.commissions.services.settlement._settle_due_rows",
        "post": "fenxiao.ledger.services.post",
        "save": "fenxiao.commissions.models.SettlementBatch.save",
    }
    before = (Transaction.objects.count(), earnings_summary(distributor).available_fen)
    real_save = SettlementBatch.save

    def crash_on_second_save(self, *args, **kwargs):
        if self.pk is not None:
            raise KeyboardInterrupt("killed")
        return real_save(self, *args, **kwargs)

    side = crash_on_second_save if crash_at == "save" else KeyboardInterrupt("killed")
    with mock.patch(targets[crash_at], side_effect=side, autospec=crash_at == "save"), pytest.raises(KeyboardInterrupt):
        settlement.run_settlement(now=local(2026, 11, 10, 2, 0))
    assert not SettlementBatch.objects.exists()
    assert set(Commission.objects.values_list("status", flat=True)) == {S.PENDING}
    assert (Transaction.objects.count(), earnings_summary(distributor).available_fen) == before
    sound()

    batch = settlement.run_settlement(now=local(2026, 11, 10, 2, 5))
    assert batch.commission_count == 4
    assert earnings_summary(distributor).available_fen == 6000
    assert settlement.run_settlement(now=local(2026, 11, 10, 3, 0)) is None
    assert earnings_summary(distributor).available_fen == 6000
    sound()


def test_refund_before_the_batch_cancels_and_after_it_claws_back(completed, distributor, bound_buyer, operator):
    order = completed(local(2026, 11, 1, 12, 0), quantity=2)  # paid 30000, direct 6000
    line = order.lines.get()
    orders.operator_refund_line(line_id=line.pk, amount_fen=15000, actor=operator, reason="质量问题，客服补偿")
    direct = Commission.objects.get(order=order, depth=1)
    assert (direct.status, direct.cancelled_fen) == (S.PENDING, 3000)
    settlement.run_settlement(now=local(2026, 11, 5, 2, 0))
    assert earnings_summary(distributor).available_fen == 3000
    orders.operator_refund_line(line_id=line.pk, amount_fen=15000, actor=operator, reason="全部退款")
    direct.refresh_from_db()
    assert (direct.status, direct.cancelled_fen, direct.clawed_back_fen, direct.net_fen) == (S.SETTLED, 3000, 3000, 0)
    assert earnings_summary(distributor).available_fen == 0
    sound()


def test_run_settlement_command(completed, capsys):
    completed(local(2026, 11, 1, 12, 0))
    call_command("run_settlement", "--now", "2026-11-05T02:00+08:00")
    assert "period=2026-11-05 commissions=2" in capsys.readouterr().out
    call_command("run_settlement", "--now", "2026-11-05T03:00+08:00")
    assert "already settled" in capsys.readouterr().out


def test_query_count_does_not_grow_with_commissions(level, beauty):
    def build(n_orders):
        for _ in range(n_orders):
            earner = DistributorFactory(level=level, inviter=DistributorFactory(level=level))
            OrderFactory(paid=True, user=UserFactory(), distributor=earner, items=[(beauty, 1)])
        Commission.objects.filter(status=S.PENDING).update(eligible_at=local(2026, 11, 1, 12, 0))

    def count(now):
        with CaptureQueriesContext(connection) as ctx:
            batch = settlement.run_settlement(now=now)
        return batch, len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])

    settlement.settlement_settings()  # the settings row exists in both measurements
    build(2)
    small_batch, small = count(local(2026, 11, 5, 2, 0))
    build(25)
    big_batch, big = count(local(2026, 11, 6, 2, 0))
    assert (small_batch.commission_count, big_batch.commission_count) == (4, 50)
    assert big == small
    sound()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_make_one_batch(completed, distributor):
    completed(local(2026, 11, 1, 12, 0))
    results, errors = [], []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            results.append(settlement.run_settlement(now=local(2026, 11, 5, 2, 0)))
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len([r for r in results if r is not None]) == 1
    assert SettlementBatch.objects.count() == 1
    assert earnings_summary(distributor).available_fen == 3000
    sound()


@pytest.mark.django_db(transaction=True)
def test_a_batch_aborted_by_a_deadlock_runs_again(completed, distributor):
    from django.db import OperationalError

    completed(local(2026, 11, 1, 12, 0))
    real = settlement._run_settlement_once
    calls = []

    def deadlock_first(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real(**kwargs)

    with mock.patch.object(settlement, "_run_settlement_once", side_effect=deadlock_first):
        batch = settlement.run_settlement(now=local(2026, 11, 5, 2, 0))
    assert len(calls) == 2 and batch.commission_count == 2
    with mock.patch.object(settlement, "_run_settlement_once", side_effect=OperationalError("disk I/O error")):
        with pytest.raises(OperationalError):
            settlement.run_settlement(now=local(2026, 11, 6, 2, 0))
    assert earnings_summary(distributor).available_fen == 3000
