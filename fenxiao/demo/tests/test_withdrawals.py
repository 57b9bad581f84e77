"""The demo withdrawals of seed_demo: valid generated ID numbers, one withdrawal per state as far as
the balance allows, nothing made twice on a second run."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from fenxiao.demo.seed import DEMO_DISTRIBUTOR_PHONE, demo_id_number, make_demo_withdrawals
from fenxiao.withdrawals import validation
from fenxiao.withdrawals.models import KycRecord, PayoutBatch, Withdrawal
from tests.factories import DistributorFactory, StaffFactory, UserFactory

from .conftest import fund

pytestmark = pytest.mark.usefixtures("ledger_sound")


def test_generated_id_numbers_are_valid_and_distinct():
    numbers = {demo_id_number(i) for i in range(1, 400)}
    assert len(numbers) == 399
    for number in numbers:
        validation.clean_id_number(number, today=date(2026, 1, 1))


def test_demo_withdrawals_in_every_state_once(db):
    StaffFactory(username="finance")
    StaffFactory()  # the administrator, who approves the payout batch as the second person
    demo = DistributorFactory(user=UserFactory(phone=DEMO_DISTRIBUTOR_PHONE, nickname="王姐"))
    rich = DistributorFactory(user=UserFactory(nickname="李老师"))
    poor = DistributorFactory()
    fund(rich, 20000)
    fund(poor, 500)

    made = make_demo_withdrawals()
    assert made == 6
    assert KycRecord.objects.filter(distributor=demo).exists()  # even without a balance
    assert not KycRecord.objects.filter(distributor=poor).exists()
    assert KycRecord.objects.get(distributor=rich).real_name.startswith("李")
    assert Counter(Withdrawal.objects.filter(distributor=rich).values_list("status", flat=True)) == {
        "paid": 1,
        "approved": 1,
        "requested": 1,
        "rejected": 1,
        "cancelled": 1,
        "failed": 1,
    }
    batch = PayoutBatch.objects.get()
    assert batch.status == "closed" and batch.line_count == 2

    fund(rich, 50000)  # more money later does not start a second round
    fund(poor, 50000)
    assert make_demo_withdrawals() == 0
    assert Withdrawal.objects.count() == 6 and PayoutBatch.objects.count() == 1


def test_without_balance_there_are_no_demo_withdrawals(db):
    DistributorFactory(user=UserFactory(phone=DEMO_DISTRIBUTOR_PHONE))
    assert make_demo_withdrawals() == 0
    assert KycRecord.objects.count() == 1 and not Withdrawal.objects.exists()
