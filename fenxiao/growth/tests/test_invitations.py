"""The invitation ladder: what counts as a valid invitation, each rung claimed once (cash through the
ledger), rungs not yet reached refused, and the warning for a rung that pays for heads alone."""

import threading

import pytest
from django.db import close_old_connections

from fenxiao.commissions.selectors import earnings_summary
from fenxiao.growth import selectors, services
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import InvitationReward, InvitationRung, Notification
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders.models import Order

from .conftest import EARLY, approve_pending, local, member, sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def inviter(regular):
    return member(regular)


def invite(inviter, level, *, bought=None, approved_at=EARLY):
    """An approved invitee; `bought` = "completed", "paid_before_approval", "paid_after" or None."""
    invitee = member(level, inviter=inviter, approved_at=approved_at)
    other_shop = member(level)
    if bought == "completed":
        sale(other_shop, 5000, buyer=invitee.user, completed_at=local(2026, 2, 1, 10, 0))
    elif bought == "paid_before_approval":
        sale(
            other_shop,
            9900,
            buyer=invitee.user,
            status=Order.Status.PAID,
            paid_at=local(2026, 1, 4, 10, 0),
            completed_at=local(2026, 1, 20, 10, 0),
        )
    elif bought == "paid_after":
        sale(
            other_shop,
            9900,
            buyer=invitee.user,
            status=Order.Status.PAID,
            paid_at=local(2026, 1, 9, 10, 0),
            completed_at=local(2026, 1, 20, 10, 0),
        )
    elif bought == "cancelled":
        sale(
            other_shop,
            9900,
            buyer=invitee.user,
            status=Order.Status.CANCELLED,
            paid_at=local(2026, 1, 4, 10, 0),
            completed_at=local(2026, 1, 20, 10, 0),
        )
    return invitee


def test_what_counts_as_a_valid_invitation(inviter, regular):
    invite(inviter, regular, bought="completed")  # completed a first real order
    invite(inviter, regular, bought="paid_before_approval")  # approved after a first purchase
    invite(inviter, regular, bought="paid_after")  # bought after approval, not completed yet
    invite(inviter, regular, bought="cancelled")  # the purchase was cancelled
    invite(inviter, regular)  # never bought
    member(regular, inviter=inviter, status="pending")  # not approved: not even a head
    counts = selectors.invitation_counts(inviter)
    assert (counts.valid, counts.heads) == (2, 5)


def test_each_rung_is_paid_once_and_cash_goes_through_the_ledger(inviter, regular):
    gift, _ = services.save_rung(invites=1, basis="valid", reward="gift", gift_name="定制保温杯")
    cash, _ = services.save_rung(invites=2, basis="valid", reward="cash", cash_fen=5000)
    assert approve_pending() == 1  # the cash rung waits for finance
    invite(inviter, regular, bought="completed")

    with pytest.raises(GrowthError) as not_yet:
        services.claim_invitation_reward(distributor=inviter, rung_id=cash.pk)
    assert (not_yet.value.code, not_yet.value.status) == ("rung_not_reached", 409)

    first = services.claim_invitation_reward(distributor=inviter, rung_id=gift.pk)
    assert (first.reward, first.gift_name, first.ledger_transaction_id) == ("gift", "定制保温杯", None)
    invite(inviter, regular, bought="completed")
    paid = services.claim_invitation_reward(distributor=inviter, rung_id=cash.pk)
    again = services.claim_invitation_reward(distributor=inviter, rung_id=cash.pk)
    assert again.pk == paid.pk
    assert InvitationReward.objects.filter(distributor=inviter).count() == 2
    assert Transaction.objects.filter(kind="invitation_reward").count() == 1
    assert earnings_summary(inviter).available_fen == 5000
    assert Notification.objects.filter(user=inviter.user, kind="invitation_reward").count() == 2
    assert list(ledger_selectors.violations()) == []

    _counts, ladder = selectors.invitation_ladder(inviter)
    assert [(state.rung.invites, state.reached, state.claimable, state.claimed is not None) for state in ladder] == [
        (1, True, False, True),
        (2, True, False, True),
    ]


def test_heads_only_rungs_are_flagged(inviter, regular):
    heads, warning = services.save_rung(invites=3, basis="heads", reward="cash", cash_fen=1000)
    assert "人头" in warning
    _valid, no_warning = services.save_rung(invites=5, basis="valid", reward="cash", cash_fen=1000)
    approve_pending()
    assert no_warning == ""
    for _ in range(3):
        invite(inviter, regular)  # three heads, nobody bought
    assert services.claim_invitation_reward(distributor=inviter, rung_id=heads.pk).cash_fen == 1000


@pytest.mark.parametrize(
    "values",
    [
        {"invites": 0, "basis": "valid", "reward": "gift", "gift_name": "杯子"},
        {"invites": 10, "basis": "everyone", "reward": "gift", "gift_name": "杯子"},
        {"invites": 10, "basis": "valid", "reward": "cash", "cash_fen": 0},
        {"invites": 10, "basis": "valid", "reward": "gift", "gift_name": "  "},
        {"invites": 10, "basis": "valid", "reward": "points", "points": 0},
        {"invites": 10, "basis": "valid", "reward": "coupon"},
    ],
)
def test_rungs_are_validated(values, db):
    with pytest.raises(GrowthError) as exc:
        services.save_rung(**values)
    assert exc.value.code == "invalid_rung"
    assert not InvitationRung.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_pay_once(regular):
    inviter = member(regular)
    rung, _ = services.save_rung(invites=1, basis="valid", reward="cash", cash_fen=3000)
    approve_pending()
    invite(inviter, regular, bought="completed")
    barrier, errors = threading.Barrier(4), []

    def claim():
        try:
            barrier.wait()
            services.claim_invitation_reward(distributor=inviter, rung_id=rung.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert InvitationReward.objects.count() == 1
    assert earnings_summary(inviter).available_fen == 3000
