"""Orders placed in an activity through the one checkout: the order's activity fields, the ActivityOrder
that follows it (placed → paid, cancelled, refunded) and the kind's hooks it calls, the activity's own
unpaid timeout and stock location, the 拼团 hold (no shipping, no buyer's cancel until the group
succeeds), commissions (none when the activity pays none; two levels on what was paid, under the
margin ceiling, otherwise), and a late payment taking its units again where the order held them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.commissions.models import Commission
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import Order
from fenxiao.orders.services import activities
from fenxiao.orders.services.activities import bargains, flash, groups
from fenxiao.promotions import pricing
from fenxiao.promotions.models import ActivityOrder, FlashItem, FlashSale
from tests.factories import DistributorFactory, LevelFactory, SkuFactory, UserFactory, accrue_commissions

pytestmark = pytest.mark.django_db

S = Order.Status
AO = ActivityOrder.State


@pytest.fixture
def calls(monkeypatch):
    """The kind modules' hooks, recorded instead of run: these tests are about what every kind shares."""
    seen: list[tuple] = []
    for module in (flash, groups, bargains):
        name = module.__name__.rsplit(".", 1)[-1]
        monkeypatch.setattr(module, "on_paid", lambda order, row, _n=name: seen.append((_n, "paid", order.pk, row.state)))
        monkeypatch.setattr(
            module, "on_ended", lambda order, row, *, was, _n=name: seen.append((_n, "ended", order.pk, row.state, was))
        )
        monkeypatch.setattr(
            module, "on_refunded", lambda order, row, _n=name: seen.append((_n, "refunded", order.pk, row.refunded_fen))
        )
    return seen


def terms(sku, price_fen, *, kind="flash", activity_id=7, pays_commission=True):
    return pricing.ActivityTerms(
        kind=kind, activity_id=activity_id, label="活动价", unit_prices={sku.pk: price_fen}, pays_commission=pays_commission
    )


def place(user, sku, address, price_fen, *, quantity=1, kind="flash", activity_id=7, record=True, **kwargs):
    """What each kind's module does: place the order with the terms and link it in the same transaction."""
    pays = kwargs.pop("pays_commission", True)
    item_id = kwargs.pop("item_id", None)
    order = services.place_order(
        user=user,
        items=[(sku.pk, quantity)],
        address=address,
        activity=terms(sku, price_fen, kind=kind, activity_id=activity_id, pays_commission=pays),
        **kwargs,
    )
    if record:
        activities.record(order, kind=kind, activity_id=activity_id, quantity=quantity, item_id=item_id)
    return order


def row_of(order) -> ActivityOrder:
    return ActivityOrder.objects.get(order_id=order.pk)


def stock(sku, location="main") -> StockRecord:
    return StockRecord.objects.get(sku=sku, location=location)


def flash_item(sku, *, quantity=3, price_fen=9900) -> FlashItem:
    """A running flash sale with its units moved into the item's own location."""
    now = timezone.now()
    sale = FlashSale.objects.create(name="十点秒杀", starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    item = FlashItem.objects.create(
        sale=sale, sku=sku, price_fen=price_fen, quantity=quantity, per_person_limit=2, per_order_limit=2
    )
    assert inventory.transfer_stock(sku_id=sku.pk, quantity=quantity, source="main", target=item.location) == quantity
    return item


def ship(order, operator):
    return services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1234567")


# --- the order and its ActivityOrder ---------------------------------------------------------------


def test_an_activity_order_carries_its_activity_and_follows_it_when_paid(buyer, sku, address, calls):
    before = timezone.now()
    order = place(buyer, sku, address, 9900, quantity=2, kind="bargain", activity_id=31, unpaid_minutes=5)
    order.refresh_from_db()
    assert (order.activity_kind, order.activity_id, order.pays_commission, order.hold) == ("bargain", 31, True, "")
    assert before + timedelta(minutes=5) <= order.expires_at <= timezone.now() + timedelta(minutes=5)
    assert stock(sku).reserved == 2
    row = row_of(order)
    assert (row.kind, row.activity_id, row.user_id, row.quantity, row.state) == ("bargain", 31, buyer.pk, 2, AO.PLACED)
    assert row.cost_fen == (15000 - 9900) * 2 and row.paid_fen == 0

    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    row.refresh_from_db()
    assert order.status == S.PAID and (row.state, row.paid_fen) == (AO.PAID, order.paid_fen) == (AO.PAID, 19800)
    assert calls == [("bargains", "paid", order.pk, AO.PAID)]


def test_an_ordinary_order_has_no_activity(buyer, sku, address, calls):
    order = services.place_order(user=buyer, items=[(sku.pk, 1)], address=address)
    order.refresh_from_db()
    assert (order.activity_kind, order.activity_id, order.pays_commission, order.hold) == ("", None, True, "")
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert calls == [] and not ActivityOrder.objects.exists()


def test_an_unpaid_activity_order_lapses_at_its_own_timeout_and_its_units_go_back_to_its_location(buyer, sku, address, calls):
    item = flash_item(sku, quantity=3)
    main_before = stock(sku).on_hand
    order = place(buyer, sku, address, 9900, location=item.location, unpaid_minutes=5, item_id=item.pk)
    assert (stock(sku, item.location).reserved, stock(sku, item.location).available) == (1, 2)
    assert stock(sku).reserved == 0  # nothing held in the platform warehouse

    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=4)) == 0
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=6)) == 1
    order.refresh_from_db()
    assert order.status == S.CANCELLED and "超时" in order.cancel_reason
    assert row_of(order).state == AO.CANCELLED
    flash_stock = stock(sku, item.location)
    assert (flash_stock.on_hand, flash_stock.reserved, flash_stock.available) == (3, 0, 3)
    assert stock(sku).on_hand == main_before and stock(sku).reserved == 0
    assert calls == [("flash", "ended", order.pk, AO.CANCELLED, AO.PLACED)]
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=7)) == 0
    assert len(calls) == 1  # ended once


def test_without_its_own_timeout_an_activity_order_keeps_the_usual_one(buyer, sku, address, calls):
    order = place(buyer, sku, address, 9900)
    assert services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=6)) == 0
    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


def test_a_refund_is_passed_on_and_a_full_one_marks_the_activity_order_refunded(buyer, sku, address, calls, operator):
    order = place(buyer, sku, address, 9900, kind="group", activity_id=5)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    ship(order, operator)
    line = order.lines.get()
    services.operator_refund_line(line_id=line.pk, amount_fen=4000, actor=operator, reason="少件")
    row = row_of(order)
    assert (row.refunded_fen, row.state) == (4000, AO.PAID)
    services.operator_refund_line(line_id=line.pk, amount_fen=5900, actor=operator, reason="退货")
    row.refresh_from_db()
    assert (row.refunded_fen, row.state) == (9900, AO.REFUNDED)
    assert [c[:2] + c[3:] for c in calls if c[1] == "refunded"] == [("groups", "refunded", 4000), ("groups", "refunded", 9900)]


def test_every_line_refunded_counts_as_refunded_though_the_shipping_fee_stays(buyer, sku, address, calls, operator):
    order = place(buyer, sku, address, 5000, kind="group", activity_id=5)  # ¥50: below free shipping
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.shipping_fen == 1000 and order.paid_fen == 6000
    ship(order, operator)
    services.operator_refund_line(line_id=order.lines.get().pk, amount_fen=5000, actor=operator, reason="退货")
    row = row_of(order)
    assert (row.paid_fen, row.refunded_fen, row.state) == (6000, 5000, AO.REFUNDED)


# --- the 拼团 hold ---------------------------------------------------------------------------------


def test_a_held_order_cannot_ship_nor_be_cancelled_by_its_buyer(buyer, sku, address, calls, operator):
    order = place(buyer, sku, address, 9900, kind="group", activity_id=5, hold=Order.Hold.GROUP)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.hold == "group" and order.status == S.PAID

    with pytest.raises(OrderError) as exc:
        ship(order, operator)
    assert (exc.value.code, exc.value.status) == ("order_on_hold", 409)
    assert exc.value.detail == {"order": order.number, "hold": "group"}
    with pytest.raises(OrderError) as exc:
        services.cancel_order(order_id=order.pk, actor=buyer)
    assert (exc.value.code, exc.value.status) == ("order_on_hold", 409)
    order.refresh_from_db()
    assert order.status == S.PAID and order.refunded_fen == 0 and stock(sku).reserved == 1


def test_the_operator_may_cancel_a_held_order_and_it_is_refunded_in_full(buyer, sku, address, calls, operator):
    order = place(buyer, sku, address, 9900, kind="group", activity_id=5, hold=Order.Hold.GROUP)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_order(order_id=order.pk, actor=operator, reason="未成团", as_buyer=False)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen == 9900
    assert stock(sku).reserved == 0
    row = row_of(order)
    assert (row.state, row.refunded_fen) == (AO.REFUNDED, 9900)
    assert ("groups", "ended", order.pk, AO.REFUNDED, AO.PAID) in calls


def test_the_buyer_may_cancel_a_held_order_not_paid_yet(buyer, sku, address, calls):
    order = place(buyer, sku, address, 9900, kind="group", activity_id=5, hold=Order.Hold.GROUP)
    services.cancel_order(order_id=order.pk, actor=buyer)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and stock(sku).reserved == 0
    assert row_of(order).state == AO.CANCELLED


def test_releasing_the_hold_lets_the_order_ship(buyer, sku, address, calls, operator):
    held = [place(UserFactory(), sku, address, 9900, kind="group", activity_id=5, hold=Order.Hold.GROUP) for _ in range(2)]
    for order in held:
        services.pay_with_dev_provider(user=order.user, order_id=order.pk)
    other = place(buyer, sku, address, 9900, kind="group", activity_id=5, hold=Order.Hold.GROUP)

    assert activities.release_hold([o.pk for o in held], note="拼团成功") == 2
    assert activities.release_hold([o.pk for o in held], note="拼团成功") == 0  # nothing held any more
    for order in held:
        order.refresh_from_db()
        assert order.hold == ""
        assert order.events.filter(note="拼团成功").count() == 1
        ship(order, operator)
        order.refresh_from_db()
        assert order.status == S.SHIPPED
    other.refresh_from_db()
    assert other.hold == "group"  # another group's order keeps waiting


# --- commissions -------------------------------------------------------------------------------------


@pytest.fixture
def chain(db):
    """A buyer bound to a distributor (10% direct) whose inviter earns 5% indirect."""
    from fenxiao.distribution.services import bind_customer

    level = LevelFactory(rank=1, name="普通分销商", direct_rate_bp=1000, indirect_rate_bp=500)
    upline = DistributorFactory(level=level)
    seller = DistributorFactory(level=level, inviter=upline)
    customer = UserFactory()
    bind_customer(customer=customer, distributor=seller)
    return customer, seller, upline


def test_an_activity_order_without_commission_accrues_none(chain, sku, address, calls):
    customer, seller, _upline = chain
    order = place(customer, sku, address, 12000, pays_commission=False)
    order.refresh_from_db()
    assert order.distributor_id == seller.pk and order.pays_commission is False  # still credited to the shop
    services.pay_with_dev_provider(user=customer, order_id=order.pk)
    assert accrue_commissions() == 1
    order.refresh_from_db()
    assert order.commissions_accrued_at is not None
    assert not Commission.objects.filter(order=order).exists()
    from fenxiao.commissions.calculator import compute_order

    assert all(not result.earners for result in compute_order(order))


def test_an_activity_order_pays_two_levels_on_what_was_paid(chain, sku, address, calls):
    customer, seller, upline = chain
    order = place(customer, sku, address, 12000)
    services.pay_with_dev_provider(user=customer, order_id=order.pk)
    accrue_commissions()
    rows = sorted(
        Commission.objects.filter(order=order).values_list("depth", "distributor_id", "base_fen", "amount_fen", "capped")
    )
    # on the ¥120 paid (not the ¥150 list price): 10% and 5%; margin ¥70, ceiling half of it: not reached
    assert rows == [(1, seller.pk, 12000, 1200, False), (2, upline.pk, 12000, 600, False)]


def test_the_margin_ceiling_still_cuts_an_activity_order(chain, address, calls):
    customer, seller, upline = chain
    thin = SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12000, cost_fen=5000, stock=10)
    order = place(customer, thin, address, 6000)  # ¥60 paid, ¥50 cost: margin ¥10, at most ¥5 of commission
    services.pay_with_dev_provider(user=customer, order_id=order.pk)
    accrue_commissions()
    rows = list(Commission.objects.filter(order=order).order_by("depth"))
    assert [(r.depth, r.distributor_id, r.uncapped_fen) for r in rows] == [(1, seller.pk, 600), (2, upline.pk, 300)]
    assert sum(r.amount_fen for r in rows) == 500
    assert all(r.capped and "毛利" in r.capped_note for r in rows)


# --- a late payment ----------------------------------------------------------------------------------


@pytest.fixture
def provider_already_paid(monkeypatch):
    """The provider refuses to close a payment the buyer has just paid: its success notice is on the way."""
    from fenxiao.payments import services as payments
    from fenxiao.payments.errors import PaymentError

    def refuse(**kwargs):
        raise PaymentError("already_paid", "paid at the provider", status=409)

    monkeypatch.setattr(payments, "close_payment", refuse)


def _lapse_with_open_payment(buyer, order):
    payment = services.start_payment(user=buyer, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=6))
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    return payment


def test_a_late_payment_takes_the_units_again_at_the_flash_location(buyer, sku, address, calls, provider_already_paid):
    from fenxiao.payments import services as payments

    item = flash_item(sku, quantity=3)
    order = place(buyer, sku, address, 9900, quantity=2, location=item.location, unpaid_minutes=5, item_id=item.pk)
    payment = _lapse_with_open_payment(buyer, order)
    assert stock(sku, item.location).reserved == 0 and row_of(order).state == AO.CANCELLED

    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.PAID and order.refunded_fen == 0
    assert order.events.filter(note__contains="重新保留库存").exists()
    assert stock(sku, item.location).reserved == 2  # at the sale's own stock …
    assert stock(sku).reserved == 0  # … never the platform warehouse
    assert row_of(order).state == AO.PAID
    assert calls[-1] == ("flash", "paid", order.pk, AO.PAID)


def test_a_late_payment_is_refunded_when_the_flash_stock_is_gone(buyer, sku, address, calls, provider_already_paid):
    from fenxiao.payments import services as payments

    item = flash_item(sku, quantity=1)
    order = place(buyer, sku, address, 9900, location=item.location, unpaid_minutes=5, item_id=item.pk)
    payment = _lapse_with_open_payment(buyer, order)
    place(UserFactory(), sku, address, 9900, location=item.location, unpaid_minutes=5, item_id=item.pk)  # takes the unit

    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    # the platform warehouse still has units, but a flash order's come from the sale's stock only
    assert stock(sku).available > 0
    assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen == order.total_fen
    assert stock(sku, item.location).reserved == 1
    assert row_of(order).state == AO.CANCELLED
