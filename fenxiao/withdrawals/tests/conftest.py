from __future__ import annotations

import itertools
import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from stdnum.cn import ric

from fenxiao.commissions.services import EXPENSE_ACCOUNT, available_account, ensure_distributor_accounts
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind
from fenxiao.withdrawals import services
from tests.factories import DistributorFactory, UserFactory

_keys = itertools.count(1)
OTHERS = "test:other_earners"


def make_id(body: str) -> str:
    """An 18-character ID number: 17 digits and their GB 11643 check digit."""
    return body + ric.calc_check_digit(body + "0")


VALID_ID = make_id("11010119900307123")  # Beijing Dongcheng, born 1990-03-07, male
OTHER_ID = make_id("33010619851123002")  # Hangzhou Xihu, born 1985-11-23, female


def fund(distributor, amount_fen: int) -> None:
    """Settled commission: platform expense → the distributor's available account."""
    ensure_distributor_accounts([distributor.pk])
    ledger.post(
        idempotency_key=f"test:fund:{next(_keys)}",
        kind="test_fund",
        entries=[(EXPENSE_ACCOUNT, "debit", amount_fen), (available_account(distributor.pk), "credit", amount_fen)],
    )


def claw_back(distributor, amount_fen: int) -> None:
    """A refund after settlement: taken back from available, which may go below zero (a debt). The
    commissions of other earners (a stand-in account) keep the expense it reduces above zero."""
    ensure_distributor_accounts([distributor.pk])
    ledger.get_or_create_account(OTHERS, kind=AccountKind.LIABILITY, name="others")
    ledger.post(
        idempotency_key=f"test:others:{next(_keys)}",
        kind="test_fund",
        entries=[(EXPENSE_ACCOUNT, "debit", amount_fen), (OTHERS, "credit", amount_fen)],
    )
    ledger.post(
        idempotency_key=f"test:claw:{next(_keys)}",
        kind="test_clawback",
        entries=[(available_account(distributor.pk), "debit", amount_fen), (EXPENSE_ACCOUNT, "credit", amount_fen)],
    )


def balance(code: str) -> int:
    return ledger_selectors.balance(code)


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return type(user).objects.get(pk=user.pk)  # fresh instance: no cached permissions


@pytest.fixture
def distributor(db):
    return DistributorFactory()


@pytest.fixture
def verified(distributor):
    services.submit_kyc(distributor=distributor, real_name="王小明", id_number=VALID_ID, mobile=distributor.user.phone)
    return distributor


@pytest.fixture
def funded(verified):
    """Verified, with ¥1,000.00 available."""
    fund(verified, 100000)
    return verified


@pytest.fixture
def finance(db):
    return staff_in("财务")


@pytest.fixture
def ledger_sound(db):
    """The ledger's invariants hold after the test, whatever it did."""
    yield
    assert list(ledger_selectors.violations()) == []


def run_in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released together, each with its own connection (closed at the
    end). Returns each thread's result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return results


def approve_batch(batch):
    """A second finance member approves a payout batch, as export requires."""
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    from ..services import payouts

    request = ApprovalRequest.objects.get(kind=payouts.BATCH_APPROVAL, reference=payouts.batch_reference(batch), status="pending")
    approvals.approve(request_id=request.pk, actor=staff_in("财务"))
    return batch
