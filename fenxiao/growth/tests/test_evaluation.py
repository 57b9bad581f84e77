"""Level evaluation: instant upgrades through real orders and approvals, the monthly run with its
downgrade rule and protection period, a rerun that changes nothing, and the rule checks."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.growth import services
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import LevelChange, LevelRule, Notification
from fenxiao.orders import services as orders
from fenxiao.orders.models import Order
from tests.factories import ADDRESS, StaffFactory, UserFactory

from .conftest import MARCH, K, local, member, rule, sale

pytestmark = pytest.mark.django_db


def level_of(distributor) -> str:
    return Distributor.objects.select_related("level").get(pk=distributor.pk).level.name


# --- instant -----------------------------------------------------------------------------------


def test_order_completion_upgrades_the_seller_and_its_two_uplines(regular, senior, partner, sku):
    """Place, pay, ship, receive, then the completion job: the seller meets the senior rule on its
    personal sales, its inviter and their inviter meet the partner rule on team sales."""
    grand = member(regular, approved_at=timezone.now())
    inviter = member(regular, inviter=grand, approved_at=timezone.now())
    seller = member(regular, inviter=inviter, approved_at=timezone.now())
    rule(senior, [(K.PERSONAL_SALES_MONTH, 15000)])
    rule(partner, [(K.TEAM_SALES_MONTH, 15000), (K.TEAM_SIZE, 1)])
    buyer = UserFactory()
    distribution.bind_customer(customer=buyer, distributor=seller)
    order = orders.place_order(user=buyer, items=[(sku.pk, 1)], address=dict(ADDRESS))
    orders.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert level_of(seller) == "普通分销商"  # paid is not sold: only completed orders count
    orders.ship_order(order_id=order.pk, actor=StaffFactory(), tracking_company="SF", tracking_number="SF1")
    orders.confirm_receipt(order_id=order.pk, user=buyer)
    assert orders.complete_orders(now=timezone.now() + timedelta(days=8)) == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED

    assert level_of(seller) == "高级分销商"
    assert level_of(inviter) == "合伙人"
    assert level_of(grand) == "合伙人"
    change = LevelChange.objects.get(distributor=seller)
    assert (change.reason, change.is_upgrade, change.period) == ("instant", True, "")
    assert change.figures[K.PERSONAL_SALES_MONTH] == 15000
    assert change.from_level == regular and change.to_level == senior
    assert Notification.objects.filter(user=seller.user, title="恭喜升级为高级分销商").exists()
    assert seller.events.filter(reason__contains="即时升级").exists()  # through distribution's own service


def test_invitee_approval_upgrades_the_inviter(regular, senior):
    DistributionSettings.objects.filter(pk=1).update(admission_mode=DistributionSettings.Admission.REVIEW)
    inviter = member(regular, approved_at=timezone.now())
    rule(senior, [(K.DIRECT_INVITES, 1)])
    user = UserFactory()
    distribution.bind_customer(customer=user, distributor=inviter)
    applicant = distribution.apply_for_distributor(user=user, real_name="李四")
    assert applicant.status == Distributor.Status.PENDING and level_of(inviter) == "普通分销商"
    distribution.approve_distributor(distributor_id=applicant.pk, actor=StaffFactory())
    assert level_of(inviter) == "高级分销商"
    assert LevelChange.objects.get(distributor=inviter).figures[K.DIRECT_INVITES] == 1


def test_instant_evaluation_never_downgrades(partner, senior):
    rule(partner, [(K.TEAM_SIZE, 50)], downgrade_enabled=True)
    d = member(partner)
    assert services.evaluate_instant(d) is None
    assert level_of(d) == "合伙人"


def test_instant_upgrade_skips_to_the_highest_level_met(regular, senior, partner):
    d = member(regular)
    member(regular, inviter=d)
    rule(senior, [(K.DIRECT_INVITES, 1)])
    rule(partner, [(K.TEAM_SIZE, 1)])
    change = services.evaluate_instant(d)
    assert change.to_level == partner and level_of(d) == "合伙人"
    assert services.evaluate_instant(d) is None


def test_manual_change_is_recorded(regular, senior):
    d = member(regular)
    staff = StaffFactory()
    change = services.change_level(distributor_id=d.pk, level_id=senior.pk, actor=staff, note="活动奖励")
    assert (change.reason, change.actor, change.note) == ("manual", staff, "活动奖励")
    assert services.change_level(distributor_id=d.pk, level_id=senior.pk, actor=staff) is None
    with pytest.raises(GrowthError) as missing:  # somebody else's id, not the caller: not `not_distributor`
        services.change_level(distributor_id=d.pk + 1000, level_id=senior.pk, actor=staff)
    assert (missing.value.code, missing.value.status) == ("distributor_not_found", 404)


# --- monthly -----------------------------------------------------------------------------------


def test_monthly_upgrade_and_idempotent_rerun(tree, senior, sku):
    rule(senior, [(K.DIRECT_INVITES, 1), (K.PERSONAL_SALES_MONTH, 10000)])
    a, b = tree["A"], tree["B"]
    sale(a, 10000, sku=sku)  # A: 1 direct invite (B), ¥100 in February
    sale(b, 9999, sku=sku)  # B: 1 direct invite (C), a fen short
    run = services.run_monthly_evaluation("2026-02", now=MARCH)
    assert (run.period, run.upgraded, run.downgraded, run.evaluated) == ("2026-02", 1, 0, 4)
    assert level_of(a) == "高级分销商" and level_of(b) == "普通分销商"
    change = LevelChange.objects.get(distributor=a)
    assert (change.reason, change.period, change.figures[K.PERSONAL_SALES_MONTH]) == ("monthly", "2026-02", 10000)
    assert Notification.objects.filter(user=a.user).count() == 1

    again = services.run_monthly_evaluation("2026-02", now=MARCH + timedelta(hours=1))
    assert (again.upgraded, again.downgraded, again.already_done) == (0, 0, 1)
    assert LevelChange.objects.count() == 1 and Notification.objects.count() == 1


def test_downgrade_one_level_after_the_protection_period(regular, senior, partner):
    rule(senior, [(K.DIRECT_INVITES, 10)], downgrade_enabled=True, protection_days=30)
    rule(partner, [(K.TEAM_SIZE, 50)], downgrade_enabled=True, protection_days=30)
    fresh = member(senior)  # upgraded 10 days ago: protected
    old = member(senior)  # upgraded 40 days ago: goes down
    never = member(senior)  # no upgrade on record: goes down
    top = member(partner)  # goes down one level only, to senior
    for d, days in ((fresh, 10), (old, 40)):
        LevelChange.objects.create(
            distributor=d,
            from_level=regular,
            to_level=senior,
            is_upgrade=True,
            reason="instant",
            created_at=MARCH - timedelta(days=days),
        )
    run = services.run_monthly_evaluation("2026-02", now=MARCH)
    assert (run.upgraded, run.downgraded) == (0, 3)
    assert level_of(fresh) == "高级分销商"
    assert level_of(old) == level_of(never) == "普通分销商"
    assert level_of(top) == "高级分销商"
    down = LevelChange.objects.get(distributor=old, period="2026-02")
    assert not down.is_upgrade and down.figures[K.DIRECT_INVITES] == 0
    assert Notification.objects.filter(user=old.user, title="等级调整为普通分销商").exists()

    again = services.run_monthly_evaluation("2026-02", now=MARCH)  # no second step down
    assert (again.downgraded, again.already_done) == (0, 3)
    assert level_of(top) == "高级分销商"


def test_no_downgrade_unless_the_rule_allows_it(senior):
    rule(senior, [(K.DIRECT_INVITES, 10)], downgrade_enabled=False)
    d = member(senior)
    assert services.run_monthly_evaluation("2026-02", now=MARCH).downgraded == 0
    assert level_of(d) == "高级分销商"


def test_months_refused(levels):
    with pytest.raises(GrowthError) as err:
        services.run_monthly_evaluation("2026-03", now=MARCH)
    assert err.value.code == "month_not_closed"
    with pytest.raises(GrowthError) as err:
        services.run_monthly_evaluation("2026-13", now=MARCH)
    assert err.value.code == "invalid_month"
    assert services.month_period(None, now=local(2026, 1, 3))[0] == "2025-12"


def test_command(tree, senior, sku):
    rule(senior, [(K.PERSONAL_SALES_MONTH, 100)])
    sale(tree["A"], 100, sku=sku)  # February 2026: closed whenever this runs
    out = StringIO()
    call_command("run_level_evaluation", "--month", "2026-02", stdout=out)
    assert "升级 1 位" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("run_level_evaluation", "--month", "bad")


# --- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"conditions": []}, "invalid_rule"),
        ({"conditions": [(K.TEAM_SIZE, -1)]}, "invalid_rule"),
        ({"conditions": [("pyramid_depth", 3)]}, "invalid_rule"),
        ({"conditions": [(K.TEAM_SIZE, 1), (K.TEAM_SIZE, 2)]}, "invalid_rule"),
        ({"conditions": [(K.TEAM_SIZE, 1)], "combine": "some"}, "invalid_rule"),
        ({"conditions": [(K.TEAM_SIZE, 1)], "protection_days": -1}, "invalid_rule"),
    ],
)
def test_rule_checks(senior, kwargs, code):
    with pytest.raises(GrowthError) as err:
        services.save_rule(level_id=senior.pk, **kwargs)
    assert err.value.code == code


def test_a_disabled_rule_may_be_empty_and_saving_replaces_conditions(senior):
    services.save_rule(level_id=senior.pk, is_enabled=False, conditions=[])
    saved = services.save_rule(level_id=senior.pk, conditions=[(K.TEAM_SIZE, 5), (K.FIRST_PURCHASE_FEN, 9900)], combine="any")
    assert LevelRule.objects.count() == 1
    assert sorted(saved.conditions.values_list("kind", "threshold")) == [(K.FIRST_PURCHASE_FEN, 9900), (K.TEAM_SIZE, 5)]


def test_demo_rules_from_the_domain_table(levels):
    from fenxiao.demo.seed import make_demo_growth

    assert make_demo_growth() == 4  # two level rules and the two rungs of the invitation ladder
    assert make_demo_growth() == 0
    from fenxiao.growth.models import InvitationRung

    assert list(InvitationRung.objects.values_list("invites", "basis", "reward", "cash_fen")) == [
        (10, "valid", "gift", 0),
        (50, "valid", "cash", 50000),
    ]
    senior_rule = LevelRule.objects.get(level__name="高级分销商")
    assert sorted(senior_rule.conditions.values_list("kind", "threshold")) == [
        (K.DIRECT_INVITES, 10),
        (K.PERSONAL_SALES_MONTH, 500_000),
    ]
