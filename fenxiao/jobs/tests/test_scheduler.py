"""The scheduler enqueues each job once per period, however often and by however many schedulers it
ticks; a rerun of a period enqueues nothing."""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from fenxiao.jobs import services
from fenxiao.jobs.management.commands import run_scheduler
from fenxiao.jobs.models import ScheduledRun
from fenxiao.jobs.schedule import scheduled

from .conftest import local

ALL_JOBS = {job.name for job in scheduled()}
DEC_1 = local(2026, 12, 1, 0, 0, 10)


@pytest.mark.django_db
def test_first_tick_enqueues_every_job_once_with_its_period():
    enqueued = services.enqueue_due(DEC_1)
    assert {(e.job, e.period_key) for e in enqueued} == {
        ("orders.sweep", "2026-11-30T16:00Z"),
        ("payments.refund_resend", "2026-11-30T16:00Z"),
        ("withdrawals.transfer_check", "2026-11-30T16:00Z"),
        ("promotions.flash_start", "2026-11-30T16:00Z"),
        ("growth.flash_reminders", "2026-11-30T16:00Z"),
        ("promotions.flash_return", "2026-11-30T16:00Z"),
        ("promotions.flash_admission", "2026-11-30T16:00Z"),
        ("orders.expire_groups", "2026-11-30T16:00Z"),
        ("promotions.expire_bargains", "2026-11-30T16:00Z"),
        ("commissions.accrual", "2026-11-30T16:00Z"),
        ("orders.poll_tracking", "2026-11-30T16:00Z"),
        ("catalog.cost_changes", "2026-11-30T16:00Z"),
        ("growth.stock_alerts", "2026-11-30T16:00Z"),
        ("commissions.settlement", "2026-12-01"),
        ("supply.issue_statements", "2026-12-01"),
        ("commissions.team_bonus", "2026-11"),
        ("growth.level_evaluation", "2026-11"),
        ("supply.evaluate_suppliers", "2026-11"),
        ("growth.leaderboard_close", "2026-11"),
        ("analytics.daily_figures", "2026-11-30T16Z"),
        ("members.expire_points", "2026-12-01"),
        ("members.evaluate_tiers", "2026-12-01"),
        ("jobs.prune", "2026-12-01"),
        ("console.reap_stalled_jobs", "2026-11-30T16:00Z"),  # added to the schedule by the console
    }
    assert ScheduledRun.objects.count() == 24
    results = {str(r.pk): r for r in DBTaskResult.objects.all()}
    assert set(results) == {e.task_id for e in enqueued}
    by_job = {e.job: results[e.task_id] for e in enqueued}
    assert by_job["growth.level_evaluation"].task_path == "fenxiao.jobs.tasks.evaluate_levels"
    assert by_job["growth.level_evaluation"].args_kwargs == {"args": [], "kwargs": {"month": "2026-11"}}
    assert by_job["orders.sweep"].args_kwargs == {"args": [], "kwargs": {}}
    assert all(r.status == "READY" for r in results.values())


@pytest.mark.django_db
def test_a_rerun_of_the_same_period_enqueues_nothing():
    services.enqueue_due(DEC_1)
    assert services.enqueue_due(DEC_1) == []
    assert services.enqueue_due(DEC_1 + timedelta(seconds=45)) == []  # still the same minute
    assert DBTaskResult.objects.count() == 24
    # The next minute: only the minute jobs are due again; the next day: the daily jobs too; the month's stay done.
    assert [e.job for e in services.enqueue_due(DEC_1 + timedelta(minutes=1))] == [
        "orders.sweep",
        "payments.refund_resend",
        "withdrawals.transfer_check",
        "promotions.flash_start",
        "growth.flash_reminders",
        "promotions.flash_return",
        "promotions.flash_admission",
        "orders.expire_groups",
        "promotions.expire_bargains",
        "commissions.accrual",
        "orders.poll_tracking",
        "catalog.cost_changes",
        "growth.stock_alerts",
        "console.reap_stalled_jobs",
    ]
    next_day = services.enqueue_due(DEC_1 + timedelta(days=1))
    assert {e.job for e in next_day} == {
        "orders.sweep",
        "payments.refund_resend",
        "withdrawals.transfer_check",
        "promotions.flash_start",
        "growth.flash_reminders",
        "promotions.flash_return",
        "promotions.flash_admission",
        "orders.expire_groups",
        "promotions.expire_bargains",
        "commissions.accrual",
        "orders.poll_tracking",
        "catalog.cost_changes",
        "growth.stock_alerts",
        "commissions.settlement",
        "supply.issue_statements",
        "analytics.daily_figures",
        "members.expire_points",
        "members.evaluate_tiers",
        "jobs.prune",
        "console.reap_stalled_jobs",
    }
    assert DBTaskResult.objects.count() == 24 + 14 + 20
    assert ScheduledRun.objects.filter(job="commissions.team_bonus").count() == 1


@pytest.mark.django_db
def test_two_schedulers_one_after_the_other_enqueue_each_period_once(capsys):
    # Sequential on any database: the second scheduler finds every period taken.
    call_command("run_scheduler", "--once")
    first = capsys.readouterr().out
    assert first.count("enqueued ") == len(ALL_JOBS)
    call_command("run_scheduler", "--once")
    assert capsys.readouterr().out == ""
    assert ScheduledRun.objects.count() == DBTaskResult.objects.count() == len(ALL_JOBS)


@pytest.mark.django_db
def test_a_key_taken_by_another_scheduler_is_skipped_without_enqueueing(monkeypatch):
    """The race on any database: another scheduler commits the key between our read and our insert.
    Our insert fails on the unique key and our task is not enqueued (its transaction rolled back)."""
    ScheduledRun.objects.create(job="orders.sweep", period_key="2026-11-30T16:00Z", enqueued_at=DEC_1)
    real_filter = ScheduledRun.objects.filter
    monkeypatch.setattr(ScheduledRun.objects, "filter", lambda *a, **k: real_filter(pk__in=[]))  # the read saw nothing
    enqueued = services.enqueue_due(DEC_1)
    assert "orders.sweep" not in {e.job for e in enqueued}
    assert len(enqueued) == len(ALL_JOBS) - 1
    assert not DBTaskResult.objects.filter(task_path="fenxiao.jobs.tasks.sweep_orders").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent schedulers need PostgreSQL")
def test_concurrent_schedulers_on_postgresql_enqueue_each_period_once():
    schedulers = 4
    barrier = threading.Barrier(schedulers)
    counts: list[int] = []
    errors: list[BaseException] = []

    def tick():
        try:
            barrier.wait()
            for _round in range(3):
                counts.append(len(services.enqueue_due(DEC_1)))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(schedulers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(counts) == len(ALL_JOBS)
    assert ScheduledRun.objects.count() == len(ALL_JOBS)
    assert DBTaskResult.objects.count() == len(ALL_JOBS)
    assert set(ScheduledRun.objects.values_list("task_id", flat=True)) == {
        str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)
    }


@pytest.mark.django_db
def test_the_loop_stops_cleanly_on_sigterm(monkeypatch, capsys):
    ticks: list[int] = []
    real_tick = run_scheduler.Command.tick

    def tick_then_terminate(self):
        real_tick(self)
        ticks.append(1)
        os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stopping the scheduler

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(run_scheduler.Command, "tick", tick_then_terminate)
    call_command("run_scheduler", "--interval", "3600")
    out = capsys.readouterr().out
    assert ticks == [1]
    assert out.count("enqueued ") == len(ALL_JOBS)
    assert out.strip().endswith("scheduler stopped")
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_non_positive_interval_is_refused():
    with pytest.raises(CommandError, match="--interval"):
        call_command("run_scheduler", "--interval", "0")
