"""拼团: placing, paying (open / join / full), success releasing the holds, expiry (virtual success,
failure with full refunds, a rerun after a crash), refunds after success, the leader reward, the
commissions of group orders, the reads and the API."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.commissions import postings
from fenxiao.commissions.models import Commission
from fenxiao.common.errors import DomainError
from fenxiao.distribution.services import bind_customer
from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Transaction
from fenxiao.orders import services
from fenxiao.orders.errors import OrderCode, OrderError
from fenxiao.orders.models import Order
from fenxiao.orders.services import lifecycle
from fenxiao.orders.services.activities import groups as group_orders
from fenxiao.payments.models import Payment, Refund
from fenxiao.promotions import selectors_groups
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.models import ActivityOrder, Group, GroupBuy, GroupBuyItem, GroupEvent, GroupMember, RunStatus
from tests.api_helpers import assert_error
from tests.factories import ADDRESS, DistributorFactory, SkuFactory, StaffFactory, UserFactory, accrue_commissions

S = Order.Status
G = Group.Status


# --- helpers ---------------------------------------------------------------------------------------


def make_activity(*, sku=None, price_fen=None, **fields) -> GroupBuyItem:
    """The seed default: 3 people at 70 % of the price, 24 hours."""
    now = timezone.now()
    sku = sku or SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, stock=100)
    values = {"name": "三人团", "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=7), **fields}
    activity = GroupBuy.objects.create(**values)
    return GroupBuyItem.objects.create(activity=activity, sku=sku, price_fen=price_fen or sku.retail_fen * 70 // 100)


def place(user, item, group=None, **kw) -> Order:
    return group_orders.place_group_order(
        user=user, item_id=item.pk, group_id=group.pk if isinstance(group, Group) else group, address=dict(ADDRESS), **kw
    )


def pay(user, order) -> Order:
    services.pay_with_dev_provider(user=user, order_id=order.pk)
    return Order.objects.get(pk=order.pk)


def open_group(item, leader=None) -> tuple[Group, Order]:
    leader = leader or UserFactory()
    order = pay(leader, place(leader, item))
    return Group.objects.get(leader=leader, activity=item.activity), order


def join(item, group, user=None) -> Order:
    user = user or UserFactory()
    return pay(user, place(user, item, group))


def refunds_of(order_ids) -> list[Refund]:
    return list(Refund.objects.filter(payment__reference__in=[str(i) for i in order_ids]))


@pytest.fixture
def item(db):
    return make_activity()


# --- placing ---------------------------------------------------------------------------------------


def test_seed_defaults_and_the_order_is_priced_and_held(item):
    activity = item.activity
    assert (activity.group_size, activity.hours) == (3, 24)
    assert item.price_fen == 10500
    buyer = UserFactory()
    order = place(buyer, item)
    assert order.hold == Order.Hold.GROUP and order.activity_kind == "group" and order.activity_id == activity.pk
    assert order.goods_fen - order.discount_fen == 10500
    assert order.price_breakdown["activity"]["kind"] == "group"
    row = ActivityOrder.objects.get(order_id=order.pk)
    assert (row.kind, row.item_id, row.join_group_id, row.group_id, row.state) == ("group", item.pk, None, None, "placed")
    # Placing opens nothing: a leader opens a group by paying.
    assert not Group.objects.exists()


def test_the_leader_opens_the_group_by_paying(item):
    leader = UserFactory()
    order = pay(leader, place(leader, item))
    group = Group.objects.get()
    assert (group.status, group.members_count, group.size, group.leader_id) == (G.FORMING, 1, 3, leader.pk)
    assert abs((group.expires_at - order.paid_at) - timedelta(hours=24)) < timedelta(minutes=1)
    member = GroupMember.objects.get()
    assert member.is_leader and member.order_id == order.pk and member.status == "joined"
    assert ActivityOrder.objects.get(order_id=order.pk).group_id == group.pk
    assert order.hold == Order.Hold.GROUP


def test_the_group_succeeds_when_full_and_every_order_may_ship(item):
    group, first = open_group(item)
    second = join(item, group)
    assert Order.objects.get(pk=first.pk).hold == Order.Hold.GROUP
    third = join(item, group)
    group.refresh_from_db()
    assert group.status == G.SUCCEEDED and group.members_count == 3 and group.succeeded_at is not None
    assert not group.is_virtual
    assert GroupEvent.objects.filter(group=group, from_status=G.FORMING, to_status=G.SUCCEEDED).count() == 1
    assert set(Order.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("hold", flat=True)) == {""}
    services.ship_order(order_id=first.pk, actor=StaffFactory(), tracking_company="顺丰", tracking_number="SF1")
    assert Order.objects.get(pk=first.pk).status == S.SHIPPED


def test_no_shipping_and_no_buyer_cancel_before_success(item):
    group, order = open_group(item)
    with pytest.raises(OrderError) as exc:
        services.ship_order(order_id=order.pk, actor=StaffFactory(), tracking_company="顺丰", tracking_number="SF1")
    assert exc.value.code == OrderCode.ORDER_ON_HOLD
    with pytest.raises(OrderError) as exc:
        services.cancel_order(order_id=order.pk, actor=order.user)
    assert exc.value.code == OrderCode.ORDER_ON_HOLD
    # No after-sales either: they need a shipped order, and it cannot ship.
    line = order.lines.get()
    with pytest.raises(OrderError):
        services.request_aftersale(user=order.user, line_id=line.pk, kind="refund_only", amount_fen=100, reason="不要了")
    assert Order.objects.get(pk=order.pk).status == S.PAID


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"starts_at_delta": timedelta(hours=2)}, PromotionCode.ACTIVITY_NOT_STARTED),
        ({"status": RunStatus.ENDED}, PromotionCode.ACTIVITY_ENDED),
        ({"status": RunStatus.PAUSED}, PromotionCode.ACTIVITY_ENDED),
    ],
)
def test_placing_needs_a_running_activity(db, fields, code):
    now = timezone.now()
    extra = {}
    if "starts_at_delta" in fields:
        extra["starts_at"] = now + fields["starts_at_delta"]
    if "status" in fields:
        extra["status"] = fields["status"]
    item = make_activity(**extra)
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), item)
    assert exc.value.code == code


def test_placing_after_the_window_is_refused(item):
    GroupBuy.objects.filter(pk=item.activity_id).update(ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), item)
    assert exc.value.code == PromotionCode.ACTIVITY_ENDED and exc.value.status == 409


def test_joining_checks_the_group(item):
    group, leader_order = open_group(item)
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), item, 987654)
    assert (exc.value.code, exc.value.status) == (PromotionCode.GROUP_NOT_FOUND, 404)
    other = make_activity()
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), other, group)  # a group of another activity
    assert exc.value.code == PromotionCode.GROUP_NOT_FOUND
    with pytest.raises(PromotionError) as exc:
        place(leader_order.user, item, group)  # the leader joining its own group again
    assert (exc.value.code, exc.value.status) == (PromotionCode.ALREADY_IN_GROUP, 409)
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), item, quantity=2)
    assert exc.value.code == PromotionCode.ACTIVITY_LIMIT_REACHED
    Group.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), item, group)
    assert (exc.value.code, exc.value.status) == (PromotionCode.GROUP_ENDED, 409)


def test_a_full_group_refuses_new_orders_unless_the_activity_opens_new_groups(db):
    refuse = make_activity(when_full=GroupBuy.WhenFull.REFUSE, group_size=2)
    group, _ = open_group(refuse)
    join(refuse, group)
    with pytest.raises(PromotionError) as exc:
        place(UserFactory(), refuse, group)
    assert exc.value.code == PromotionCode.GROUP_FULL
    new_group = make_activity(when_full=GroupBuy.WhenFull.NEW_GROUP, group_size=2)
    group, _ = open_group(new_group)
    join(new_group, group)
    assert Group.objects.get(pk=group.pk).status == G.SUCCEEDED
    late = UserFactory()
    order = place(late, new_group, group)  # allowed: paying it opens a new group
    assert order.status == S.PENDING_PAYMENT
    pay(late, order)
    assert Group.objects.get(leader=late).members_count == 1


# --- paying into a full group ---------------------------------------------------------------------


def test_paying_into_a_full_group_opens_a_new_one_with_the_payer_as_leader(item):
    group, _ = open_group(item)
    late = UserFactory()
    late_order = place(late, item, group)  # placed while a seat was left
    join(item, group)
    join(item, group)
    assert Group.objects.get(pk=group.pk).status == G.SUCCEEDED
    late_order = pay(late, late_order)
    assert late_order.status == S.PAID
    new = Group.objects.get(leader=late)
    assert new.pk != group.pk and new.members_count == 1 and new.status == G.FORMING
    assert Group.objects.get(pk=group.pk).members_count == 3
    assert ActivityOrder.objects.get(order_id=late_order.pk).group_id == new.pk


def test_paying_into_a_full_group_refunds_in_full_when_the_activity_refuses(db, django_capture_on_commit_callbacks):
    item = make_activity(when_full=GroupBuy.WhenFull.REFUSE)
    group, _ = open_group(item)
    late = UserFactory()
    late_order = place(late, item, group)
    join(item, group)
    join(item, group)
    with django_capture_on_commit_callbacks(execute=True):
        pay(late, late_order)
    late_order.refresh_from_db()
    assert late_order.status == S.CANCELLED and late_order.refunded_fen == late_order.paid_fen > 0
    assert [r.amount_fen for r in refunds_of([late_order.pk])] == [late_order.paid_fen]
    assert ActivityOrder.objects.get(order_id=late_order.pk).state == ActivityOrder.State.REFUNDED
    assert Group.objects.get(pk=group.pk).members_count == 3
    assert not GroupMember.objects.filter(user=late).exists()


def test_paying_twice_into_one_group_or_into_an_expired_one(db, django_capture_on_commit_callbacks):
    item = make_activity(when_full=GroupBuy.WhenFull.NEW_GROUP)
    group, _ = open_group(item)
    buyer = UserFactory()
    first, second = place(buyer, item, group), place(buyer, item, group)  # both placed before paying
    pay(buyer, first)
    pay(buyer, second)  # already a member: opens a group of its own
    assert GroupMember.objects.filter(group=group, user=buyer).count() == 1
    assert Group.objects.get(leader=buyer).members_count == 1
    refuse = make_activity(when_full=GroupBuy.WhenFull.REFUSE)
    group, _ = open_group(refuse)
    late = UserFactory()
    order = place(late, refuse, group)
    Group.objects.filter(pk=group.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        pay(late, order)
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED
    assert len(refunds_of([order.pk])) == 1


def test_a_refusal_whose_refund_was_lost_is_refunded_by_the_job(db):
    item = make_activity(when_full=GroupBuy.WhenFull.REFUSE)
    group, _ = open_group(item)
    late = UserFactory()
    late_order = place(late, item, group)
    join(item, group)
    join(item, group)
    pay(late, late_order)  # the commit callbacks never run here: the refund after the commit is lost
    assert Order.objects.get(pk=late_order.pk).status == S.PAID
    assert group_orders.expire_groups(timezone.now())["unsettled_refunded"] == 0  # too soon
    later = timezone.now() + timedelta(minutes=5)
    assert group_orders.expire_groups(later)["unsettled_refunded"] == 1
    assert group_orders.expire_groups(later)["unsettled_refunded"] == 0
    assert Order.objects.get(pk=late_order.pk).status == S.CANCELLED
    assert len(refunds_of([late_order.pk])) == 1


def test_an_unpaid_group_order_that_lapses_leaves_the_group_alone(item):
    group, _ = open_group(item)
    buyer = UserFactory()
    order = place(buyer, item, group)
    services.expire_unpaid_orders(now=timezone.now() + timedelta(hours=2))
    assert Order.objects.get(pk=order.pk).status == S.CANCELLED
    assert ActivityOrder.objects.get(order_id=order.pk).state == ActivityOrder.State.CANCELLED
    group.refresh_from_db()
    assert group.members_count == 1 and group.status == G.FORMING
    assert not GroupMember.objects.filter(user=buyer).exists()


# --- expiry -----------------------------------------------------------------------------------------


def test_an_expired_group_fails_and_every_member_is_refunded_in_full(item):
    group, first = open_group(item)
    second = join(item, group)
    result = group_orders.expire_groups(group.expires_at + timedelta(seconds=1))
    assert result["groups_failed"] == 1 and result["orders_refunded"] == 2 and result["groups_succeeded"] == 0
    group.refresh_from_db()
    assert group.status == G.FAILED and group.failed_at is not None
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen
        assert Payment.objects.get(pk=order.payment_id).refunded_fen == order.paid_fen
    assert len(refunds_of([first.pk, second.pk])) == 2
    assert set(GroupMember.objects.filter(group=group).values_list("status", flat=True)) == {"refunded"}
    # A second run changes nothing.
    assert group_orders.expire_groups(group.expires_at + timedelta(minutes=5))["orders_refunded"] == 0
    assert len(refunds_of([first.pk, second.pk])) == 2


def test_a_group_not_yet_expired_is_left_alone(item):
    group, _ = open_group(item)
    assert group_orders.expire_groups(group.expires_at - timedelta(seconds=1))["groups_failed"] == 0
    assert Group.objects.get(pk=group.pk).status == G.FORMING


def test_virtual_success_at_the_threshold(db):
    item = make_activity(virtual_success=True, virtual_min_members=2)
    group, first = open_group(item)
    second = join(item, group)
    result = group_orders.expire_groups(group.expires_at + timedelta(seconds=1))
    assert result["groups_succeeded"] == 1 and result["orders_refunded"] == 0
    group.refresh_from_db()
    assert group.status == G.SUCCEEDED and group.is_virtual and group.members_count == 2
    assert set(Order.objects.filter(pk__in=[first.pk, second.pk]).values_list("hold", flat=True)) == {""}


def test_below_the_virtual_threshold_the_group_fails_never_succeeds(db):
    item = make_activity(virtual_success=True, virtual_min_members=2)
    group, first = open_group(item)
    group_orders.expire_groups(group.expires_at + timedelta(seconds=1))
    group.refresh_from_db()
    assert group.status == G.FAILED and not group.is_virtual
    assert Order.objects.get(pk=first.pk).status == S.CANCELLED


def test_a_crash_half_way_is_rerun_and_every_member_refunded_exactly_once(item):
    group, first = open_group(item)
    second = join(item, group)
    real = lifecycle.cancel_order
    calls = []

    def crash_after_the_first(**kwargs):
        if calls:
            raise RuntimeError("worker killed")
        calls.append(kwargs["order_id"])
        return real(**kwargs)

    moment = group.expires_at + timedelta(seconds=1)
    with mock.patch.object(lifecycle, "cancel_order", side_effect=crash_after_the_first):
        with pytest.raises(RuntimeError):
            group_orders.expire_groups(moment)
    assert calls == [first.pk]
    # The group's transaction was rolled back whole: nothing half done.
    assert Group.objects.get(pk=group.pk).status == G.FORMING
    assert refunds_of([first.pk, second.pk]) == []
    group_orders.expire_groups(moment)
    group_orders.expire_groups(moment + timedelta(minutes=1))
    assert Group.objects.get(pk=group.pk).status == G.FAILED
    refunds = refunds_of([first.pk, second.pk])
    assert sorted(int(r.payment.reference) for r in refunds) == [first.pk, second.pk]
    for order in (first, second):
        assert Payment.objects.get(pk=order.payment_id).refunded_fen == order.paid_fen


def test_a_member_already_cancelled_is_skipped_by_the_expiry(item):
    group, first = open_group(item)
    second = join(item, group)
    services.cancel_order(order_id=second.pk, actor=StaffFactory(), as_buyer=False, approved=True, reason="客服取消")
    group.refresh_from_db()
    assert group.members_count == 1 and group.status == G.FORMING  # the seat is free again
    result = group_orders.expire_groups(group.expires_at + timedelta(seconds=1))
    assert result["orders_refunded"] == 1
    assert len(refunds_of([second.pk])) == 1 and len(refunds_of([first.pk])) == 1


# --- refunds after success -------------------------------------------------------------------------


def test_a_refund_after_success_never_reopens_the_group(item):
    group, first = open_group(item)
    second = join(item, group)
    third = join(item, group)
    operator = StaffFactory()
    services.ship_order(order_id=second.pk, actor=operator, tracking_company="顺丰", tracking_number="SF2")
    line = second.lines.get()
    aftersale = services.request_aftersale(
        user=second.user, line_id=line.pk, kind="refund_only", amount_fen=line.paid_fen, reason="不想要了"
    )
    services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    # An operator's cancel of another paid (not shipped) member order.
    services.cancel_order(order_id=third.pk, actor=operator, as_buyer=False, approved=True, reason="缺货")
    group.refresh_from_db()
    assert group.status == G.SUCCEEDED and group.members_count == 3
    members = {m.order_id: m for m in GroupMember.objects.filter(group=group)}
    assert members[second.pk].status == "refunded" and members[second.pk].refunded_at is not None
    assert members[third.pk].status == "refunded"
    assert members[first.pk].status == "joined"
    page = selectors_groups.group_page(group.pk)
    assert [m.status for m in page.members].count("refunded") == 2 and page.status == G.SUCCEEDED


# --- leader reward ----------------------------------------------------------------------------------


def test_the_leader_reward_is_credited_once_to_a_distributor_leader(db):
    item = make_activity(leader_reward_fen=500)
    leader = DistributorFactory()
    group, leader_order = open_group(item, leader=leader.user)
    cost_before = ActivityOrder.objects.get(order_id=leader_order.pk).cost_fen
    join(item, group)
    join(item, group)
    group.refresh_from_db()
    assert group.leader_rewarded_at is not None
    assert ledger_selectors.balance(f"distributor:{leader.pk}:available") == 500
    txn = Transaction.objects.get(kind=group_orders.LEADER_REWARD_KIND)
    assert txn.idempotency_key == f"group_leader_reward:{group.pk}"
    assert ActivityOrder.objects.get(order_id=leader_order.pk).cost_fen == cost_before + 500
    # Paid once: asking again changes nothing.
    group_orders.reward_leader(group, item.activity)
    group.leader_rewarded_at = None
    group_orders.reward_leader(group, item.activity)
    assert Transaction.objects.filter(kind=group_orders.LEADER_REWARD_KIND).count() == 1
    assert ledger_selectors.balance(f"distributor:{leader.pk}:available") == 500
    # It is no commission.
    assert not Commission.objects.filter(distributor=leader, order_id=leader_order.pk).exists()
    assert not list(ledger_selectors.violations())
    call_command("ledger_check", stdout=io.StringIO())  # exits 1 on any broken invariant
    # Registered once as a platform marketing expense: the reconciliation and statements cover it.
    assert postings.label(group_orders.LEADER_REWARD_KIND) == "拼团团长奖励"
    assert group_orders.LEADER_REWARD_EXPENSE_ACCOUNT in postings.reward_expense_accounts()


def test_a_leader_who_is_not_a_distributor_gets_no_reward_and_the_group_says_so(db):
    item = make_activity(leader_reward_fen=500)
    group, leader_order = open_group(item)
    join(item, group)
    join(item, group)
    group.refresh_from_db()
    assert group.status == G.SUCCEEDED and group.leader_rewarded_at is None
    assert not Transaction.objects.filter(kind=group_orders.LEADER_REWARD_KIND).exists()
    assert GroupEvent.objects.filter(group=group, note__contains="不发放团长奖励").exists()


def test_group_orders_pay_the_normal_two_level_commission(item, level):
    parent = DistributorFactory(level=level)
    child = DistributorFactory(level=level, inviter=parent)
    buyer = UserFactory()
    bind_customer(customer=buyer, distributor=child)
    group, _ = open_group(item)
    order = join(item, group, user=buyer)
    assert order.distributor_id == child.pk and order.pays_commission
    accrue_commissions()
    by_depth = {c.depth: c for c in Commission.objects.filter(order=order)}
    assert set(by_depth) == {1, 2}
    assert by_depth[1].distributor_id == child.pk and by_depth[2].distributor_id == parent.pk
    assert by_depth[1].amount_fen > 0 and by_depth[2].amount_fen > 0


# --- reads ------------------------------------------------------------------------------------------


def test_open_groups_lists_the_joinable_ones_soonest_expiring_first(item):
    a, _ = open_group(item)
    b, _ = open_group(item)
    full, _ = open_group(item)
    join(item, full)
    join(item, full)
    gone, _ = open_group(item)
    now = timezone.now()
    Group.objects.filter(pk=a.pk).update(expires_at=now + timedelta(hours=5))
    Group.objects.filter(pk=b.pk).update(expires_at=now + timedelta(hours=1))
    Group.objects.filter(pk=gone.pk).update(expires_at=now - timedelta(minutes=1))
    assert [g.id for g in selectors_groups.open_groups(item.activity_id, 10)] == [b.pk, a.pk]
    assert [g.id for g in selectors_groups.open_groups(item.activity_id, 1)] == [b.pk]
    assert [g.id for g in selectors_groups.open_groups(item.activity_id, 10, user=b.leader)] == [a.pk]
    detail = selectors_groups.activity_detail(item.activity_id)
    assert detail.phase == "running" and detail.items[0].price_fen == 10500 and detail.items[0].retail_fen == 15000


def test_the_group_page_masks_members(item):
    leader = UserFactory(nickname="王小明")
    group, _ = open_group(item, leader=leader)
    join(item, group, user=UserFactory(nickname="李四"))
    page = selectors_groups.group_page(group.pk)
    assert [m.nickname for m in page.members] == ["王**", "李*"]
    assert page.members[0].is_leader and page.remaining == 1 and page.size == 3
    assert page.items[0].price_fen == 10500 and page.activity_name == "三人团"
    assert selectors_groups.group_page(987654) is None


# --- API ----------------------------------------------------------------------------------------------


class Api:
    def __init__(self, client, user=None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {issue_token(user=user)}"} if user else {}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def post(self, url, data=None, **headers):
        return self.client.post(url, json.dumps(data or {}), content_type="application/json", headers={**self.headers, **headers})


def test_api_reads_are_public(client, item):
    leader = UserFactory(nickname="王小明")
    group, _ = open_group(item, leader=leader)
    anonymous = Api(client)
    r = anonymous.get(f"/api/v1/group-buys/{item.activity_id}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["group_size"] == 3 and body["items"][0]["price_fen"] == 10500
    assert [g["id"] for g in body["open_groups"]] == [group.pk] and body["open_groups"][0]["leader_nickname"] == "王**"
    r = anonymous.get(f"/api/v1/group-buys/groups/{group.pk}")
    assert r.status_code == 200 and r.json()["remaining"] == 2 and r.json()["members"][0]["nickname"] == "王**"
    assert "phone" not in json.dumps(r.json())
    assert_error(anonymous.get("/api/v1/group-buys/987654"), 404, "activity_not_found")
    assert_error(anonymous.get("/api/v1/group-buys/groups/987654"), 404, "group_not_found")


def test_api_places_a_group_order_and_the_hold_is_enforced(client, item):
    buyer = UserFactory()
    api = Api(client, buyer)
    assert_error(
        Api(client).post("/api/v1/orders/group", {"item_id": item.pk, "address": dict(ADDRESS)}), 401, "not_authenticated"
    )
    r = api.post("/api/v1/orders/group", {"item_id": item.pk, "group_id": None, "quantity": 1, "address": dict(ADDRESS)})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["status"] == "pending_payment" and order["total_fen"] == Order.objects.get(pk=order["id"]).total_fen
    r = api.post(f"/api/v1/orders/{order['id']}/pay", {"provider": "dev"})
    assert r.status_code == 200, r.content
    group = Group.objects.get(leader=buyer)
    assert_error(api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "不要了"}), 409, "order_on_hold")
    op = Api(client, StaffFactory())
    r = op.post(f"/api/v1/operator/orders/{order['id']}/ship", {"tracking_company": "顺丰", "tracking_number": "SF1"})
    assert_error(r, 409, "order_on_hold")
    joiner = Api(client, UserFactory())
    assert_error(
        joiner.post("/api/v1/orders/group", {"item_id": item.pk, "group_id": 987654, "address": dict(ADDRESS)}),
        404,
        "group_not_found",
    )
    assert_error(
        api.post("/api/v1/orders/group", {"item_id": item.pk, "group_id": group.pk, "address": dict(ADDRESS)}),
        409,
        "already_in_group",
    )
    assert_error(joiner.post("/api/v1/orders/group", {"item_id": 987654, "address": dict(ADDRESS)}), 404, "activity_not_found")
    assert_error(joiner.post("/api/v1/orders/group", {"item_id": item.pk, "address_id": 987654}), 404, "address_not_found")
    assert_error(joiner.post("/api/v1/orders/group", {"item_id": item.pk}), 422, "invalid_input")
    r = joiner.post("/api/v1/orders/group", {"item_id": item.pk, "group_id": group.pk, "address": dict(ADDRESS)})
    assert r.status_code == 201
    assert ActivityOrder.objects.get(order_id=r.json()["id"]).join_group_id == group.pk


# --- parallel joins ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("when_full", [GroupBuy.WhenFull.NEW_GROUP, GroupBuy.WhenFull.REFUSE])
def test_parallel_joins_never_overfill_a_group(when_full):
    item = make_activity(when_full=when_full)
    group, _ = open_group(item)
    joiners = [UserFactory() for _ in range(12)]
    orders = [place(user, item, group) for user in joiners]  # all placed while seats were left
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(chunk):
        try:
            barrier.wait(30)
            for user, order in chunk:
                try:
                    services.pay_with_dev_provider(user=user, order_id=order.pk)
                    result = "paid"
                except DomainError as exc:
                    result = exc.code
                with lock:
                    outcomes.append(result)
        finally:
            connection.close()

    pairs = list(zip(joiners, orders, strict=True))
    threads = [threading.Thread(target=run, args=(pairs[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert outcomes.count("paid") == len(joiners)
    group.refresh_from_db()
    assert group.members_count == 3 == GroupMember.objects.filter(group=group).count()
    assert group.status == G.SUCCEEDED
    others = ActivityOrder.objects.filter(order_id__in=[o.pk for o in orders]).exclude(group=group)
    assert others.count() == len(joiners) - 2
    if when_full == GroupBuy.WhenFull.NEW_GROUP:
        assert Group.objects.filter(activity=item.activity).exclude(pk=group.pk).count() == len(joiners) - 2
    else:
        # Refused: refunded right after each payment committed (commit callbacks run here).
        assert Order.objects.filter(pk__in=[r.order_id for r in others], status=S.CANCELLED).count() == len(joiners) - 2
        assert Group.objects.filter(activity=item.activity).count() == 1
