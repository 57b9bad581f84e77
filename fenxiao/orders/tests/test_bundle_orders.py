"""场景套装 in orders: a bundle line becomes one order line per component with its share of the total
and of every discount; stock is taken per component (all or none); refunds and commission then work
per component line with no code of their own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.catalog.bundles import set_bundle_components
from fenxiao.commissions.calculator import compute_order
from fenxiao.commissions.models import Commission
from fenxiao.common.money import allocate
from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import StockRecord
from fenxiao.orders import services
from fenxiao.orders.models import AfterSale, Order, OrderLine
from fenxiao.orders.services.states import S
from fenxiao.promotions.tests.conftest import give, make_coupon, make_reduction
from tests.factories import OrderFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


def stock(sku):
    return StockRecord.objects.get(sku=sku, location="main")


def make_bundle(parts, *, retail_fen=22000):
    bundle = SkuFactory(
        product=ProductFactory(name="护肤套装"),
        spec="礼盒",
        retail_fen=retail_fen,
        suggested_retail_fen=retail_fen,
        control_fen=retail_fen,
        cost_fen=0,
        stock=0,
    )
    set_bundle_components(sku=bundle, components=[(sku.pk, quantity) for sku, quantity in parts])
    return bundle


@pytest.fixture
def serum():
    return SkuFactory(retail_fen=15000, suggested_retail_fen=15000, control_fen=12900, cost_fen=5000, stock=10)


@pytest.fixture
def cleanser():
    return SkuFactory(retail_fen=5900, suggested_retail_fen=5900, control_fen=4900, cost_fen=1800, stock=10)


@pytest.fixture
def bundle(serum, cleanser):
    """Serum × 1 + cleanser × 2 (list value 15000 + 11800 = 26800) for ¥220."""
    return make_bundle([(serum, 1), (cleanser, 2)])


def lines(order):
    return list(OrderLine.objects.filter(order=order).order_by("id").prefetch_related("adjustments"))


def test_a_bundle_line_becomes_one_line_per_component(buyer, address, bundle, serum, cleanser):
    order = services.place_order(user=buyer, items=[(bundle.pk, 2)], address=address)
    first, second = lines(order)
    totals = allocate(44000, [15000, 11800])
    assert totals == [24627, 19373]
    assert (first.sku_id, first.quantity, first.line_total_fen, first.paid_fen, first.unit_cost_fen) == (
        serum.pk,
        2,
        24627,
        24627,
        5000,
    )
    assert (second.sku_id, second.quantity, second.line_total_fen, second.paid_fen, second.unit_cost_fen) == (
        cleanser.pk,
        4,
        19373,
        19373,
        1800,
    )
    assert first.unit_price_fen == 24627 // 2 and second.unit_price_fen == 19373 // 4
    for line, component in ((first, serum), (second, cleanser)):
        assert (line.product_id, line.category_id, line.product_name, line.sku_spec) == (
            component.product_id,
            component.product.category_id,
            component.product.name,
            component.spec,
        )
        assert (line.bundle_sku_id, line.bundle_name, line.bundle_quantity) == (bundle.pk, "护肤套装 礼盒", 2)
    assert order.goods_fen == 44000 and order.total_fen - order.shipping_fen == 44000
    # stock is taken from the components: 2 serums and 4 cleansers
    assert (stock(serum).reserved, stock(cleanser).reserved, stock(bundle).reserved) == (2, 4, 0)


def test_a_plain_line_beside_a_bundle_is_unchanged(buyer, address, bundle, serum):
    other = SkuFactory(retail_fen=5000, suggested_retail_fen=5000, control_fen=4000, stock=5)
    order = services.place_order(user=buyer, items=[(other.pk, 1), (bundle.pk, 1)], address=address)
    by_sku = {line.sku_id: line for line in lines(order)}
    assert by_sku[other.pk].bundle_sku_id is None and by_sku[other.pk].paid_fen == 5000
    assert sum(line.paid_fen for line in by_sku.values() if line.bundle_sku_id == bundle.pk) == 22000
    assert stock(serum).reserved == 1 and stock(other).reserved == 1


def test_coupon_and_full_reduction_are_spread_over_the_components(buyer, address, bundle):
    make_reduction([{"threshold": 40000, "amount_off_fen": 3000}], products=[bundle.product])
    held = give(buyer, make_coupon(name="套装券", amount_fen=1001, products=[bundle.product]))
    order = services.place_order(user=buyer, items=[(bundle.pk, 2)], address=address, coupon=held.pk)
    assert order.user_coupon_id == held.pk
    component_lines = lines(order)
    assert len(component_lines) == 2
    by_stage: dict[str, int] = {}
    for line in component_lines:
        adjustments = list(line.adjustments.all())
        assert {adj.stage for adj in adjustments} == {"full_reduction", "coupon"}
        assert line.discount_fen == sum(adj.amount_fen for adj in adjustments)
        assert line.paid_fen == line.line_total_fen - line.discount_fen >= 0
        for adj in adjustments:
            by_stage[adj.stage] = by_stage.get(adj.stage, 0) + adj.amount_fen
    assert by_stage == {"full_reduction": 3000, "coupon": 1001}
    assert sum(line.line_total_fen for line in component_lines) == 44000
    assert sum(line.paid_fen for line in component_lines) == 44000 - 4001 == order.total_fen - order.shipping_fen
    # each stage is spread in proportion to what each component line still cost before it
    serum_line, cleanser_line = component_lines
    reduction = allocate(3000, [serum_line.line_total_fen, cleanser_line.line_total_fen])
    coupon = allocate(1001, [serum_line.line_total_fen - reduction[0], cleanser_line.line_total_fen - reduction[1]])
    assert [serum_line.discount_fen, cleanser_line.discount_fen] == [reduction[0] + coupon[0], reduction[1] + coupon[1]]


def test_discounts_never_take_a_component_below_zero(buyer, address, bundle):
    held = give(buyer, make_coupon(name="大额券", amount_fen=50000, products=[bundle.product]))
    order = services.place_order(user=buyer, items=[(bundle.pk, 1)], address=address, coupon=held.pk)
    component_lines = lines(order)
    assert all(line.paid_fen >= 0 for line in component_lines)
    assert sum(line.paid_fen for line in component_lines) == order.total_fen - order.shipping_fen


def test_the_reservation_is_all_or_none_when_a_component_is_short(buyer, address, bundle, serum, cleanser):
    StockRecord.objects.filter(sku=cleanser).update(on_hand=3)  # two bundles need 4 cleansers
    with pytest.raises(InventoryError) as exc:
        services.place_order(user=buyer, items=[(bundle.pk, 2)], address=address)
    assert exc.value.code == "sold_out"
    assert not Order.objects.filter(user=buyer).exists()
    assert (stock(serum).reserved, stock(cleanser).reserved) == (0, 0)
    order = services.place_order(user=buyer, items=[(bundle.pk, 1)], address=address)
    assert (stock(serum).reserved, stock(cleanser).reserved) == (1, 2)
    assert order.status == S.PENDING_PAYMENT


def test_shipping_takes_the_components_off_the_shelf(buyer, address, bundle, serum, cleanser, operator):
    order = services.place_order(user=buyer, items=[(bundle.pk, 3)], address=address)
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    assert (stock(serum).reserved, stock(cleanser).reserved) == (3, 6)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="顺丰速运", tracking_number="SF1234567890")
    assert (stock(serum).on_hand, stock(serum).reserved) == (7, 0)
    assert (stock(cleanser).on_hand, stock(cleanser).reserved) == (4, 0)


def test_a_bundle_whose_component_is_off_the_shelf_cannot_be_ordered(buyer, address, bundle, cleanser):
    from fenxiao.orders.errors import OrderError

    cleanser.product.is_on_shelf = False
    cleanser.product.save(update_fields=["is_on_shelf"])
    with pytest.raises(OrderError) as exc:
        services.place_order(user=buyer, items=[(bundle.pk, 1)], address=address)
    assert exc.value.code == "sku_unavailable" and exc.value.detail == {"sku_ids": [bundle.pk]}


def test_a_partial_return_refunds_at_most_the_component_share(buyer, address, bundle, operator, cleanser):
    from fenxiao.orders.errors import OrderError

    order = OrderFactory(shipped=True, user=buyer, items=[(bundle, 1)], address=address, operator=operator)
    serum_line, cleanser_line = lines(order)
    assert (serum_line.paid_fen, cleanser_line.paid_fen) == (12313, 9687)  # 22000 over 15000 : 11800
    with pytest.raises(OrderError) as exc:
        services.request_aftersale(
            user=buyer, line_id=cleanser_line.pk, kind="refund_only", amount_fen=cleanser_line.paid_fen + 1, reason="x"
        )
    assert exc.value.code == "refund_exceeds_paid"
    before = stock(cleanser).on_hand
    one_of_two = cleanser_line.paid_fen // 2
    aftersale = services.request_aftersale(
        user=buyer, line_id=cleanser_line.pk, kind="return_refund", amount_fen=one_of_two, quantity=1, reason="多了一瓶"
    )
    aftersale = services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    aftersale = services.submit_return(aftersale_id=aftersale.pk, user=buyer, tracking_number="YT123")
    aftersale = services.receive_return_and_refund(aftersale_id=aftersale.pk, actor=operator)
    assert aftersale.status == AfterSale.Status.REFUNDED
    cleanser_line.refresh_from_db()
    order.refresh_from_db()
    assert cleanser_line.refunded_fen == one_of_two == order.refunded_fen
    assert stock(cleanser).on_hand == before + 1  # the one returned, not the bundle


def test_refunding_every_component_refunds_what_the_bundle_paid(buyer, address, bundle, operator):
    order = OrderFactory(refunded=True, user=buyer, items=[(bundle, 2)], address=address, operator=operator)
    component_lines = lines(order)
    assert all(line.refunded_fen == line.paid_fen for line in component_lines)
    assert order.refunded_fen == sum(line.paid_fen for line in component_lines) == 44000


def test_commission_is_computed_per_component_line(buyer, address, distributor, serum, cleanser):
    from fenxiao.catalog.models import CommissionOverride

    bundle = make_bundle([(serum, 1), (cleanser, 2)])
    CommissionOverride.objects.create(product_id=serum.product_id, depth=1, mode="rate", rate_bp=2000)
    order = OrderFactory(paid=True, user=buyer, items=[(bundle, 1)], address=address, distributor=distributor)
    serum_line, cleanser_line = lines(order)
    results = {result.line_id: result for result in compute_order(order)}
    # the serum's own product rate (20%) and the level's 10% on the cleanser, each on its line's paid
    assert results[serum_line.pk].amount_for_depth(1) == min(serum_line.paid_fen * 2000 // 10000, results[serum_line.pk].cap_fen)
    assert results[cleanser_line.pk].amount_for_depth(1) == min(
        cleanser_line.paid_fen * 1000 // 10000, results[cleanser_line.pk].cap_fen
    )
    # the margin ceiling works on each component's own cost
    assert results[serum_line.pk].cost_fen == 5000 and results[cleanser_line.pk].cost_fen == 2 * 1800
    rows = Commission.objects.filter(order=order, depth=1)
    by_line = {row.order_line_id: row.amount_fen for row in rows}
    assert by_line == {line_id: result.amount_for_depth(1) for line_id, result in results.items()}
    assert sum(by_line.values()) == sum(result.amount_for_depth(1) for result in results.values()) > 0


def test_commission_follows_a_component_refund(buyer, address, distributor, operator, bundle):
    order = OrderFactory(
        shipped=True, user=buyer, items=[(bundle, 1)], address=address, distributor=distributor, operator=operator
    )
    serum_line, cleanser_line = lines(order)
    before = {row.order_line_id: row.amount_fen for row in Commission.objects.filter(order=order, depth=1)}
    aftersale = services.request_aftersale(
        user=buyer, line_id=cleanser_line.pk, kind="refund_only", amount_fen=cleanser_line.paid_fen, reason="破损"
    )
    services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
    after = {row.order_line_id: row for row in Commission.objects.filter(order=order, depth=1)}
    assert after[serum_line.pk].cancelled_fen == 0 and after[serum_line.pk].status == Commission.Status.PENDING
    assert after[cleanser_line.pk].cancelled_fen == before[cleanser_line.pk] > 0
    assert after[cleanser_line.pk].status == Commission.Status.CANCELLED


@pytest.fixture
def provider_already_paid(monkeypatch):
    """The provider refuses to close a payment the buyer has just paid: its success notice is on the way."""
    from fenxiao.payments import services as payments
    from fenxiao.payments.errors import PaymentError

    def refuse(**kwargs):
        raise PaymentError("already_paid", "paid at the provider", status=409)

    monkeypatch.setattr(payments, "close_payment", refuse)


def _lapse(buyer, order):
    from datetime import timedelta

    payment = services.start_payment(user=buyer, order_id=order.pk, provider="dev")
    services.expire_unpaid_orders(now=timezone.now() + timedelta(minutes=31))
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    return payment


def test_a_late_payment_takes_the_components_again(buyer, address, bundle, serum, cleanser, provider_already_paid):
    from fenxiao.payments import services as payments

    order = services.place_order(user=buyer, items=[(bundle.pk, 2)], address=address)
    payment = _lapse(buyer, order)
    assert (stock(serum).reserved, stock(cleanser).reserved) == (0, 0)
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.PAID and order.refunded_fen == 0
    assert (stock(serum).reserved, stock(cleanser).reserved) == (2, 4)


def test_a_late_payment_is_refunded_when_a_component_sold_out(buyer, address, bundle, serum, cleanser, provider_already_paid):
    from fenxiao.payments import services as payments

    order = services.place_order(user=buyer, items=[(bundle.pk, 1)], address=address)
    payment = _lapse(buyer, order)
    StockRecord.objects.filter(sku=cleanser).update(on_hand=1)
    payments.complete_dev_payment(payment_id=payment.pk)
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == order.total_fen
    assert (stock(serum).reserved, stock(cleanser).reserved) == (0, 0)


def _place_and_pay(buyer, address, items):
    with CaptureQueriesContext(connection) as ctx:
        order = services.place_order(user=buyer, items=items, address=address)
        services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    return len([q for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_query_count_does_not_grow_with_bundles(buyer, address):
    def bundles(n):
        return [make_bundle([(SkuFactory(stock=10), 1), (SkuFactory(stock=10), 2)]) for _ in range(n)]

    _place_and_pay(buyer, address, [(SkuFactory(stock=10).pk, 1)])  # the first paid order opens accounts
    plain = _place_and_pay(buyer, address, [(SkuFactory(stock=10).pk, 1) for _ in range(5)])
    counts = {n: _place_and_pay(buyer, address, [(sku.pk, 1) for sku in bundles(n)]) for n in (1, 5)}
    assert counts[1] == counts[5] == plain + 1, (plain, counts)  # the bundles' components: one query
