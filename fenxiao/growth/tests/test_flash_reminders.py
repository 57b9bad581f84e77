"""开抢提醒: the notices of the flash sales about to start go once to each user who asked for them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from fenxiao.growth.models import Notification
from fenxiao.growth.services import flash_reminders
from fenxiao.jobs.schedule import Cadence, job_named
from fenxiao.promotions.models import FlashReminder, FlashSale, RunStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_sale(name="10 点场", *, starts_in=timedelta(minutes=3), hours=2, status=RunStatus.ACTIVE) -> FlashSale:
    now = timezone.now()
    return FlashSale.objects.create(
        name=name, starts_at=now + starts_in, ends_at=now + starts_in + timedelta(hours=hours), status=status
    )


def remind(sale, *users) -> list[FlashReminder]:
    return [FlashReminder.objects.create(sale=sale, user=user) for user in users]


def notices(user=None):
    qs = Notification.objects.filter(kind=Notification.Kind.FLASH_REMINDER)
    return qs.filter(user=user) if user is not None else qs


def test_a_sale_starting_within_five_minutes_reminds_each_follower_once():
    sale = make_sale(starts_in=timedelta(minutes=4))
    ana, bo = UserFactory(), UserFactory()
    remind(sale, ana, bo)

    result = flash_reminders.send_flash_reminders()

    assert result == {"flash_reminder_sales": 1, "flash_reminders_sent": 2}
    notice = notices(ana).get()
    assert notice.title == "秒杀开抢提醒"
    assert "10 点场" in notice.body
    assert notice.url == f"/flash/?sale={sale.pk}"
    assert notices(bo).count() == 1
    assert FlashReminder.objects.filter(sale=sale, notified_at__isnull=True).count() == 0
    sale.refresh_from_db()
    assert sale.reminded_at is not None

    # a rerun (the next minute, or the same one again) sends nothing
    assert flash_reminders.send_flash_reminders() == {"flash_reminder_sales": 0, "flash_reminders_sent": 0}
    assert notices().count() == 2


def test_a_later_sale_a_paused_one_and_an_ended_one_send_nothing():
    later = make_sale("晚场", starts_in=timedelta(minutes=30))
    paused = make_sale("暂停场", starts_in=timedelta(minutes=2), status=RunStatus.PAUSED)
    ended = make_sale("早场", starts_in=timedelta(hours=-3), hours=1)
    user = UserFactory()
    for sale in (later, paused, ended):
        remind(sale, user)

    assert flash_reminders.send_flash_reminders()["flash_reminders_sent"] == 0
    assert not notices().exists()

    # 26 minutes on, the later sale is within five minutes of its start
    result = flash_reminders.send_flash_reminders(now=timezone.now() + timedelta(minutes=26))
    assert result["flash_reminders_sent"] == 1
    assert notices(user).get().url == f"/flash/?sale={later.pk}"


def test_a_reminder_set_after_the_start_is_still_sent_while_the_sale_runs():
    sale = make_sale(starts_in=timedelta(minutes=-10))
    user = UserFactory()
    remind(sale, user)
    assert flash_reminders.send_flash_reminders()["flash_reminders_sent"] == 1
    assert "已经开抢" in notices(user).get().body


def test_the_job_is_scheduled_every_minute_and_runs_in_process():
    job = job_named("growth.flash_reminders")
    assert job.cadence == Cadence.MINUTE
    sale = make_sale()
    remind(sale, UserFactory())
    assert job.run_now() == {"flash_reminder_sales": 1, "flash_reminders_sent": 1}
    assert job.run_now() == {"flash_reminder_sales": 0, "flash_reminders_sent": 0}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_notice_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    sale = make_sale()
    users = [UserFactory() for _ in range(30)]
    remind(sale, *users)
    barrier = threading.Barrier(4)
    results: list[int] = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(30)
            sent = flash_reminders.send_flash_reminders()["flash_reminders_sent"]
            with lock:
                results.append(sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(results) == 30, results
    assert notices().count() == 30
    assert set(notices().values_list("user_id", flat=True)) == {u.pk for u in users}
