"""Points: earning frozen, unfreezing, spending FIFO by expiry, returning, reversing on refunds,
expiry and grants — each checked against the balance row, the movements and the lots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fenxiao.members import selectors, services
from fenxiao.members.errors import MemberError
from fenxiao.members.models import MemberSettings, PointsAccount, PointsLot, PointsMovement, PointsSource
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.get_default_timezone())


def balances(user) -> tuple[int, int]:
    account = PointsAccount.objects.get(user=user)
    return account.available, account.frozen


def assert_consistent() -> None:
    assert list(selectors.mismatches()) == []


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture(autouse=True)
def twelve_months():
    MemberSettings.objects.create(pk=1, points_expiry_months=12)


def test_order_points_stay_frozen_until_the_order_completes(user):
    lot = services.credit_frozen(user.pk, 120, "order:1", at=T0)

    assert balances(user) == (0, 120)
    assert lot.frozen and lot.expires_at is None
    with pytest.raises(MemberError) as exc:
        services.spend(user.pk, 1, "order:2", at=T0)
    assert exc.value.code == "insufficient_points"

    released = services.unfreeze("order:1", at=T0 + timedelta(days=10))

    assert released == 120
    assert balances(user) == (120, 0)
    lot.refresh_from_db()
    # the expiry clock starts at the unfreeze: twelve months later
    assert timezone.localtime(lot.expires_at).date().isoformat() == "2027-03-20"
    assert services.unfreeze("order:1") == 0
    assert list(
        PointsMovement.objects.filter(user=user).order_by("id").values_list("kind", "available_delta", "frozen_delta")
    ) == [
        ("earn_frozen", 0, 120),
        ("unfreeze", 120, -120),
    ]
    assert_consistent()


def test_crediting_the_same_order_twice_credits_once(user):
    first = services.credit_frozen(user.pk, 50, "order:1")
    again = services.credit_frozen(user.pk, 50, "order:1")

    assert first.pk == again.pk
    assert balances(user) == (0, 50)
    assert services.credit_frozen(user.pk, 0, "order:zero") is None


def test_spend_takes_the_lots_first_to_expire_first(user):
    late = services.grant(user.pk, 100, reference="late", at=T0)
    early = services.grant(user.pk, 100, reference="early", at=T0 - timedelta(days=60))
    never_settings = MemberSettings.objects.get(pk=1)
    never_settings.points_expiry_months = None
    never_settings.save()
    forever = services.grant(user.pk, 100, reference="forever", at=T0)

    services.spend(user.pk, 150, "order:9", at=T0)

    early.refresh_from_db()
    late.refresh_from_db()
    forever.refresh_from_db()
    assert (early.remaining, late.remaining, forever.remaining) == (0, 50, 100)
    assert balances(user) == (150, 0)
    spent = PointsMovement.objects.filter(kind="spend").order_by("id")
    assert [(m.lot_id, m.available_delta) for m in spent] == [(early.pk, -100), (late.pk, -50)]
    assert_consistent()


def test_a_spend_beyond_the_balance_takes_nothing(user):
    services.grant(user.pk, 80, reference="g", at=T0)

    with pytest.raises(MemberError) as exc:
        services.spend(user.pk, 81, "order:1", at=T0)

    assert exc.value.code == "insufficient_points" and exc.value.status == 409
    assert exc.value.detail == {"points": 81, "available": 80}
    assert balances(user) == (80, 0)
    assert not PointsMovement.objects.filter(kind="spend").exists()


def test_points_past_expiry_cannot_be_spent_even_before_the_job(user):
    services.grant(user.pk, 80, reference="old", at=T0 - timedelta(days=400))
    services.grant(user.pk, 30, reference="new", at=T0)

    with pytest.raises(MemberError):
        services.spend(user.pk, 50, "order:1", at=T0)

    assert balances(user) == (110, 0)
    assert services.spend(user.pk, 30, "order:1", at=T0) == 30


def test_a_reference_spends_once_until_returned(user):
    services.grant(user.pk, 100, reference="g", at=T0)
    services.spend(user.pk, 40, "order:1", at=T0)

    with pytest.raises(MemberError) as exc:
        services.spend(user.pk, 10, "order:1", at=T0)
    assert exc.value.code == "points_already_spent"

    assert services.return_spent("order:1", at=T0) == 40
    assert services.return_spent("order:1", at=T0) == 0
    assert services.spend(user.pk, 10, "order:1", at=T0) == 10  # a late payment takes them again
    assert balances(user) == (90, 0)
    assert_consistent()


def test_returned_points_go_back_to_their_lot_or_to_a_new_one_when_it_expired(user):
    short = services.grant(user.pk, 60, reference="short", at=T0 - timedelta(days=364))
    long = services.grant(user.pk, 100, reference="long", at=T0)
    services.spend(user.pk, 100, "order:1", at=T0)  # 60 from the short lot, 40 from the long one

    later = T0 + timedelta(days=5)  # the short lot has expired meanwhile
    assert services.return_spent("order:1", at=later) == 100

    short.refresh_from_db()
    long.refresh_from_db()
    assert short.remaining == 0
    assert long.remaining == 100
    fresh = PointsLot.objects.get(source=PointsSource.RETURN, reference="order:1")
    assert fresh.amount == 60 and fresh.remaining == 60
    assert timezone.localtime(fresh.expires_at).date() == timezone.localtime(later).date().replace(year=2027)
    assert balances(user) == (160, 0)
    assert services.expire_due(later) == 0  # nothing was left in the expired lot
    assert_consistent()


def test_expiry_empties_lots_past_their_date_oldest_first(user):
    first = services.grant(user.pk, 10, reference="a", at=T0 - timedelta(days=500))
    second = services.grant(user.pk, 20, reference="b", at=T0 - timedelta(days=370))
    kept = services.grant(user.pk, 40, reference="c", at=T0)

    assert services.expire_due(T0) == 30
    assert services.expire_due(T0) == 0

    assert balances(user) == (40, 0)
    expired = list(PointsMovement.objects.filter(kind="expire").order_by("id").values_list("lot_id", "available_delta"))
    assert expired == [(first.pk, -10), (second.pk, -20)]
    kept.refresh_from_db()
    assert kept.remaining == 40
    assert_consistent()


def test_frozen_points_never_expire(user):
    services.credit_frozen(user.pk, 70, "order:1", at=T0 - timedelta(days=800))

    assert services.expire_due(T0) == 0
    assert balances(user) == (0, 70)


def test_refund_takes_back_frozen_points_in_proportion(user):
    services.credit_frozen(user.pk, 99, "order:1", at=T0)

    # a third of 10000 refunded: floor(99 × 3333 / 10000) = 32
    assert services.reverse_for_refund("order:1", 3333, 10000) == 32
    assert services.reverse_for_refund("order:1", 3333, 10000) == 0  # same figures again: nothing more
    assert balances(user) == (0, 67)
    # the rest refunded too: 99 in all
    assert services.reverse_for_refund("order:1", 10000, 10000) == 67
    assert balances(user) == (0, 0)
    assert services.unfreeze("order:1") == 0
    assert_consistent()


def test_refund_after_unfreeze_and_spending_never_goes_negative(user):
    services.credit_frozen(user.pk, 100, "order:1", at=T0)
    services.unfreeze("order:1", at=T0)
    services.spend(user.pk, 90, "order:2", at=T0)

    taken = services.reverse_for_refund("order:1", 10000, 10000, at=T0)

    assert taken == 10
    assert balances(user) == (0, 0)
    movement = PointsMovement.objects.get(kind="refund_reverse")
    assert movement.shortfall == 90
    assert "90" in movement.note
    # the shortfall is recorded, not owed: the same figures again take nothing
    services.grant(user.pk, 50, reference="later", at=T0)
    assert services.reverse_for_refund("order:1", 10000, 10000, at=T0) == 0
    assert balances(user) == (50, 0)
    assert_consistent()


def test_refund_after_unfreeze_takes_from_other_lots_when_its_own_was_spent(user):
    services.credit_frozen(user.pk, 100, "order:1", at=T0 - timedelta(days=10))
    services.unfreeze("order:1", at=T0 - timedelta(days=5))
    grant = services.grant(user.pk, 500, reference="g", at=T0)
    services.spend(user.pk, 100, "order:2", at=T0)  # the order's lot expires first, so it goes first

    assert services.reverse_for_refund("order:1", 5000, 10000, at=T0) == 50

    grant.refresh_from_db()
    assert grant.remaining == 450
    assert balances(user) == (450, 0)
    movement = PointsMovement.objects.get(kind="refund_reverse")
    assert (movement.lot_id, movement.available_delta, movement.shortfall) == (grant.pk, -50, 0)
    assert_consistent()


def test_refund_figures_are_checked(user):
    services.credit_frozen(user.pk, 10, "order:1")
    for refunded, paid in ((11, 10), (-1, 10), (1, 0)):
        with pytest.raises(MemberError):
            services.reverse_for_refund("order:1", refunded, paid)
    assert services.reverse_for_refund("order:unknown", 1, 10) == 0


def test_grants_are_once_per_reference_and_checked(user):
    first = services.grant(user.pk, 30, PointsSource.INVITATION, "invitation_reward:1")
    again = services.grant(user.pk, 30, PointsSource.INVITATION, "invitation_reward:1")

    assert first.pk == again.pk
    assert balances(user) == (30, 0)
    for points in (0, -5, 1.5, True):
        with pytest.raises(MemberError):
            services.grant(user.pk, points)
    with pytest.raises(MemberError):
        services.grant(user.pk, 5, PointsSource.ORDER, "x")
    with pytest.raises(MemberError) as exc:
        services.grant(987654321, 5)
    assert exc.value.status == 404


def test_points_check_passes_and_catches_a_tampered_row(user, capsys):
    services.grant(user.pk, 30, reference="g")
    services.credit_frozen(user.pk, 20, "order:1")

    call_command("points_check")
    assert "积分检查通过" in capsys.readouterr().out

    PointsLot.objects.filter(reference="g").update(remaining=25)
    with pytest.raises(CommandError) as exc:
        call_command("points_check")
    assert exc.value.returncode == 1
    err = capsys.readouterr().err
    assert f"用户 {user.pk} 的可用积分" in err and "批次剩余合计 25" in err

    PointsLot.objects.filter(reference="g").update(remaining=30)
    PointsAccount.objects.filter(user=user).update(frozen=21)
    with pytest.raises(CommandError):
        call_command("points_check")
    assert "冻结" in capsys.readouterr().err


def test_expiring_soon_lists_points_within_thirty_days(user):
    services.grant(user.pk, 10, reference="soon", at=T0 - timedelta(days=350))
    services.grant(user.pk, 20, reference="later", at=T0)

    summary = selectors.points_summary(user.pk, T0)

    assert summary.available == 30
    assert [e.points for e in summary.expiring] == [10]
