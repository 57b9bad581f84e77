"""Points won in fenxiao/growth are credited as member points: an invitation ladder rung paying points
when claimed, a leaderboard prize paying points at the close — once each, however often it is asked."""

from __future__ import annotations

import pytest

from fenxiao.growth.services import claim_invitation_reward, prizes, save_rung
from fenxiao.growth.tests.conftest import MARCH, levels, member, regular  # noqa: F401 (fixtures)
from fenxiao.growth.tests.prize_helpers import prize, sellers
from fenxiao.growth.tests.test_invitations import invite
from fenxiao.members import selectors
from fenxiao.members.models import PointsAccount, PointsLot

pytestmark = pytest.mark.django_db


def test_a_points_rung_credits_the_distributors_points_once(regular):  # noqa: F811
    inviter = member(regular)
    rung, _ = save_rung(invites=1, basis="valid", reward="points", points=300)
    invite(inviter, regular, bought="completed")

    claim_invitation_reward(distributor=inviter, rung_id=rung.pk)
    claim_invitation_reward(distributor=inviter, rung_id=rung.pk)

    lot = PointsLot.objects.get(user=inviter.user)
    assert (lot.source, lot.amount, lot.frozen) == ("invitation", 300, False)
    assert PointsAccount.objects.get(user=inviter.user).available == 300
    assert list(selectors.mismatches()) == []


def test_a_leaderboard_points_prize_is_credited_at_the_close(regular):  # noqa: F811
    first, second = sellers(regular, [9000, 5000])
    prize(1, 1, "points", points=800)
    prize(2, 2, "gift")

    prizes.close_period("sales", "month", now=MARCH)
    prizes.close_period("sales", "month", now=MARCH)  # closed already: nothing more

    assert PointsAccount.objects.get(user=first.user).available == 800
    assert not PointsLot.objects.filter(user=second.user).exists()
    assert PointsLot.objects.get(user=first.user).source == "leaderboard"
    assert list(selectors.mismatches()) == []
