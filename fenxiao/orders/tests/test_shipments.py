"""An order split by fulfilment route: one shipment per route, shipped, received and completed each on
its own, the order following them all."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import MAIN_LOCATION, Reservation
from fenxiao.logistics.errors import LogisticsError
from fenxiao.logistics.models import Carrier, TrackingEvent
from fenxiao.orders import services
from fenxiao.orders.errors import OrderError
from fenxiao.orders.models import AfterSale, Order, OrderLine, Shipment, ShipmentEvent, ShippedBatch
from fenxiao.suppliers.models import supplier_location
from tests.factories import StaffFactory

from .shipment_world import make_supplier, record, supplier_sku

pytestmark = pytest.mark.django_db

S = Order.Status
SH = Shipment.Status


@pytest.fixture
def world(sku):
    alpha, beta = make_supplier("甲供应商"), make_supplier("乙供应商")
    return {"platform": sku, "alpha": alpha, "beta": beta, "a_sku": supplier_sku(alpha), "b_sku": supplier_sku(beta)}


def place(buyer, address, *items):
    return services.place_order(user=buyer, items=[(sku.pk, qty) for sku, qty in items], address=address)


def paid_order(buyer, address, world, qty=1):
    order = place(buyer, address, (world["platform"], qty), (world["a_sku"], qty), (world["b_sku"], qty))
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    order.refresh_from_db()
    return order


def shipment_of(order, route) -> Shipment:
    return Shipment.objects.get(order=order, route=route)


def ship(shipment, supplier=None, number="SF123456789012"):
    return services.ship_shipment(
        shipment_id=shipment.pk, actor=None, carrier="shunfeng", tracking_number=number, supplier=supplier
    )


def test_an_order_is_split_into_one_shipment_per_route(buyer, address, world):
    order = place(buyer, address, (world["platform"], 2), (world["a_sku"], 1), (world["b_sku"], 3))
    shipments = list(order.shipments.order_by("id"))
    alpha, beta = world["alpha"], world["beta"]
    assert [(s.route, s.supplier_id, s.status) for s in shipments] == [
        (MAIN_LOCATION, None, SH.TO_SHIP),
        (supplier_location(alpha.pk), alpha.pk, SH.TO_SHIP),
        (supplier_location(beta.pk), beta.pk, SH.TO_SHIP),
    ]
    routes = {line.sku_id: line.shipment.route for line in order.lines.select_related("shipment")}
    assert routes == {
        world["platform"].pk: MAIN_LOCATION,
        world["a_sku"].pk: supplier_location(alpha.pk),
        world["b_sku"].pk: supplier_location(beta.pk),
    }
    # one order, one price, each route's stock held where it sits
    assert order.total_fen == order.goods_fen - order.discount_fen + order.shipping_fen
    assert record(world["platform"], MAIN_LOCATION).reserved == 2
    assert record(world["a_sku"], supplier_location(alpha.pk)).reserved == 1
    assert record(world["b_sku"], supplier_location(beta.pk)).reserved == 3


def test_one_route_short_reserves_nothing_anywhere(buyer, address, world):
    with pytest.raises(InventoryError) as exc:
        place(buyer, address, (world["platform"], 1), (world["a_sku"], 1), (world["b_sku"], 11))
    assert exc.value.code == "sold_out"
    assert not Order.objects.exists() and not Shipment.objects.exists()
    assert not Reservation.objects.exists()
    assert record(world["platform"], MAIN_LOCATION).reserved == 0
    assert record(world["a_sku"], supplier_location(world["alpha"].pk)).reserved == 0


def test_payment_sets_each_shipment_due(buyer, address, world, settings):
    settings.FENXIAO_SHIP_WITHIN_HOURS = 24
    order = paid_order(buyer, address, world)
    due = {s.ship_by for s in order.shipments.all()}
    assert due == {order.paid_at + timedelta(hours=24)}


def test_each_route_ships_and_the_order_ships_with_the_last(buyer, address, world, operator):
    order = paid_order(buyer, address, world, qty=2)
    alpha, beta = world["alpha"], world["beta"]
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT100")
    order.refresh_from_db()
    assert order.status == S.PAID  # the suppliers have not shipped yet
    assert shipment_of(order, MAIN_LOCATION).status == SH.SHIPPED
    ship(shipment_of(order, supplier_location(alpha.pk)), supplier=alpha)
    order.refresh_from_db()
    assert order.status == S.PAID
    shipment = ship(shipment_of(order, supplier_location(beta.pk)), supplier=beta, number="SF999999999999")
    assert shipment.carrier.code == "shunfeng" and shipment.tracking_company == "顺丰速运"
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert (order.tracking_company, order.tracking_number) == ("中通", "ZT100")  # the platform's parcel
    # each route's stock left its own location, the reservation of the others untouched until then
    a_record = record(world["a_sku"], supplier_location(alpha.pk))
    assert (a_record.on_hand, a_record.reserved) == (8, 0)
    main = record(world["platform"], MAIN_LOCATION)
    assert (main.on_hand, main.reserved) == (98, 0)
    assert ShipmentEvent.objects.filter(to_status=SH.SHIPPED).count() == 3


def test_shipped_batches_are_recorded(buyer, address, world):
    order = paid_order(buyer, address, world, qty=2)
    alpha = world["alpha"]
    ship(shipment_of(order, supplier_location(alpha.pk)), supplier=alpha)
    line = OrderLine.objects.get(order=order, sku=world["a_sku"])
    rows = list(ShippedBatch.objects.filter(line=line).values_list("batch__batch_number", "quantity"))
    assert rows == [(f"B-{world['a_sku'].pk}", 2)]
    assert not ShippedBatch.objects.exclude(line=line).exists()  # the other routes did not ship yet


def test_bad_shipping_input_is_refused(buyer, address, world):
    order = paid_order(buyer, address, world)
    alpha, beta = world["alpha"], world["beta"]
    mine = shipment_of(order, supplier_location(alpha.pk))
    with pytest.raises(LogisticsError) as exc:
        services.ship_shipment(shipment_id=mine.pk, actor=None, carrier="shunfeng", tracking_number="12AB", supplier=alpha)
    assert (exc.value.code, exc.value.status) == ("invalid_tracking_number", 422)
    with pytest.raises(LogisticsError) as exc:
        services.ship_shipment(shipment_id=mine.pk, actor=None, carrier="飞鸽", tracking_number="SF123456789012")
    assert (exc.value.code, exc.value.status) == ("unknown_carrier", 422)
    # another supplier's shipment, or the platform's, does not exist for this supplier
    for other in (shipment_of(order, supplier_location(beta.pk)), shipment_of(order, MAIN_LOCATION)):
        with pytest.raises(OrderError) as exc:
            ship(other, supplier=alpha)
        assert (exc.value.code, exc.value.status) == ("shipment_not_found", 404)
    assert Shipment.objects.filter(order=order, status=SH.SHIPPED).count() == 0
    ship(mine, supplier=alpha)
    with pytest.raises(OrderError) as exc:
        ship(mine, supplier=alpha, number="SF000000000000")
    assert (exc.value.code, exc.value.status) == ("already_shipped", 409)


def test_whole_order_cancel_refused_once_a_shipment_left(buyer, address, world):
    order = paid_order(buyer, address, world)
    ship(shipment_of(order, supplier_location(world["alpha"].pk)), supplier=world["alpha"])
    with pytest.raises(OrderError) as exc:
        services.cancel_order(order_id=order.pk, actor=buyer)
    assert exc.value.status == 409


def test_unpaid_order_cancel_cancels_its_shipments(buyer, address, world):
    order = place(buyer, address, (world["platform"], 1), (world["a_sku"], 1))
    services.cancel_order(order_id=order.pk, actor=buyer)
    assert set(order.shipments.values_list("status", flat=True)) == {SH.CANCELLED}
    assert record(world["a_sku"], supplier_location(world["alpha"].pk)).reserved == 0


def ship_all(order, world, operator):
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT100")
    for name in ("alpha", "beta"):
        ship(shipment_of(order, supplier_location(world[name].pk)), supplier=world[name])


def test_receipt_per_shipment(buyer, address, world, operator):
    order = paid_order(buyer, address, world)
    ship_all(order, world, operator)
    main = shipment_of(order, MAIN_LOCATION)
    services.confirm_shipment_receipt(shipment_id=main.pk, user=buyer)
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    with pytest.raises(OrderError) as exc:  # someone else's parcel
        services.confirm_shipment_receipt(shipment_id=main.pk, user=operator)
    assert exc.value.status == 404
    services.confirm_receipt(order_id=order.pk, user=buyer)  # every other parcel
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    assert set(order.shipments.values_list("status", flat=True)) == {SH.RECEIVED}


def test_auto_receipt_counts_from_delivery_when_tracked(buyer, address, world, operator):
    order = paid_order(buyer, address, world)
    ship_all(order, world, operator)
    alpha = shipment_of(order, supplier_location(world["alpha"].pk))
    now = timezone.now()
    TrackingEvent.objects.create(
        carrier=Carrier.objects.get(code="shunfeng"),
        tracking_number=alpha.tracking_number,
        occurred_at=now + timedelta(days=1),
        state=TrackingEvent.State.DELIVERED,
        description="已签收",
    )
    Shipment.objects.filter(pk=shipment_of(order, supplier_location(world["beta"].pk)).pk).update(
        delivered_at=now + timedelta(days=2)
    )
    assert services.auto_receive_orders(now=now + timedelta(days=3, hours=1)) == 0
    assert dict(order.shipments.values_list("route", "status"))[alpha.route] == SH.SHIPPED
    assert services.auto_receive_orders(now=now + timedelta(days=4, hours=1)) == 0
    assert shipment_of(order, alpha.route).status == SH.RECEIVED  # 3 days after its delivery
    assert services.auto_receive_orders(now=now + timedelta(days=5, hours=1)) == 0
    assert shipment_of(order, MAIN_LOCATION).status == SH.SHIPPED  # untracked: 10 days after shipping
    assert services.auto_receive_orders(now=now + timedelta(days=10, hours=1)) == 1
    assert services.auto_receive_orders(now=now + timedelta(days=11)) == 0
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_aftersales_window_and_completion_per_shipment(buyer, address, world, operator):
    order = paid_order(buyer, address, world)
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT100")
    a_line = OrderLine.objects.get(order=order, sku=world["a_sku"])
    main_line = OrderLine.objects.get(order=order, sku=world["platform"])
    with pytest.raises(OrderError) as exc:  # not shipped yet: no after-sale
        services.request_aftersale(user=buyer, line_id=a_line.pk, kind="refund_only", amount_fen=100, reason="x")
    assert exc.value.status == 409
    for name in ("alpha", "beta"):
        ship(shipment_of(order, supplier_location(world[name].pk)), supplier=world[name])
    now = timezone.now()
    main = shipment_of(order, MAIN_LOCATION)
    services.confirm_shipment_receipt(shipment_id=main.pk, user=buyer)
    Shipment.objects.filter(pk=main.pk).update(received_at=now - timedelta(days=8))
    # an open after-sale on a supplier's line keeps that shipment (and so the order) open
    services.request_aftersale(user=buyer, line_id=a_line.pk, kind="refund_only", amount_fen=100, reason="少一件")
    assert services.complete_orders(now=now) == 0
    assert shipment_of(order, MAIN_LOCATION).status == SH.COMPLETED
    with pytest.raises(OrderError) as exc:  # the platform parcel's window closed
        services.request_aftersale(user=buyer, line_id=main_line.pk, kind="refund_only", amount_fen=100, reason="x")
    assert exc.value.code == "aftersale_not_allowed"
    services.confirm_receipt(order_id=order.pk, user=buyer)
    order.refresh_from_db()
    assert order.status == S.RECEIVED
    later = now + timedelta(days=8)
    assert services.complete_orders(now=later) == 0  # alpha's after-sale is still open
    AfterSale.objects.filter(order=order).update(status=AfterSale.Status.REJECTED)
    assert services.complete_orders(now=later) == 1
    assert services.complete_orders(now=later) == 0
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert set(order.shipments.values_list("status", flat=True)) == {SH.COMPLETED}


def test_cancel_one_shipment_refunds_its_lines_only(buyer, address, world, operator):
    order = paid_order(buyer, address, world, qty=2)
    beta = shipment_of(order, supplier_location(world["beta"].pk))
    b_line = OrderLine.objects.get(order=order, sku=world["b_sku"])
    services.cancel_shipment(shipment_id=beta.pk, actor=operator, reason="供应商缺货")
    order.refresh_from_db()
    b_line.refresh_from_db()
    assert shipment_of(order, beta.route).status == SH.CANCELLED
    assert order.status == S.PAID
    assert b_line.refunded_fen == b_line.paid_fen > 0
    assert order.refunded_fen == b_line.paid_fen
    assert not OrderLine.objects.filter(order=order, refunded_fen__gt=0).exclude(pk=b_line.pk).exists()
    assert record(world["b_sku"], beta.route).reserved == 0
    with pytest.raises(OrderError) as exc:
        services.cancel_shipment(shipment_id=beta.pk, actor=operator, reason="again")
    assert exc.value.status == 409
    # the others ship; the order is shipped when they are
    services.ship_order(order_id=order.pk, actor=operator, tracking_company="中通", tracking_number="ZT100")
    ship(shipment_of(order, supplier_location(world["alpha"].pk)), supplier=world["alpha"])
    order.refresh_from_db()
    assert order.status == S.SHIPPED


def test_cancelling_every_shipment_cancels_the_order(buyer, address, world, operator):
    order = place(buyer, address, (world["a_sku"], 1))
    services.pay_with_dev_provider(user=buyer, order_id=order.pk)
    services.cancel_shipment(shipment_id=order.shipments.get().pk, actor=operator, reason="地址不配送")
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.refunded_fen == order.paid_fen


def test_supplier_line_returns_go_to_that_supplier(buyer, address, world, operator):
    order = paid_order(buyer, address, world)
    ship_all(order, world, operator)
    alpha, beta = world["alpha"], world["beta"]
    a_line = OrderLine.objects.select_related("shipment__supplier").get(order=order, sku=world["a_sku"])
    assert services.return_address(a_line)["detail"] == alpha.return_detail
    main_line = OrderLine.objects.select_related("shipment").get(order=order, sku=world["platform"])
    assert services.return_address(main_line) is None

    def returned(line):
        aftersale = services.request_aftersale(
            user=buyer, line_id=line.pk, kind="return_refund", amount_fen=line.paid_fen, reason="不合适"
        )
        services.review_aftersale(aftersale_id=aftersale.pk, actor=operator, approve=True)
        services.submit_return(aftersale_id=aftersale.pk, user=buyer, tracking_number="SF777")
        return aftersale

    a_return, main_return = returned(a_line), returned(main_line)
    for supplier, aftersale in ((beta, a_return), (alpha, main_return)):
        with pytest.raises(OrderError) as exc:
            services.receive_return_and_refund(aftersale_id=aftersale.pk, actor=None, supplier=supplier)
        assert exc.value.status == 404
    before = record(world["a_sku"], a_line.shipment.route).on_hand
    done = services.receive_return_and_refund(aftersale_id=a_return.pk, actor=alpha.user, supplier=alpha)
    assert done.status in (AfterSale.Status.REFUNDING, AfterSale.Status.REFUNDED, AfterSale.Status.AWAITING_APPROVAL)
    assert record(world["a_sku"], a_line.shipment.route).on_hand == before + 1
    assert record(world["platform"], MAIN_LOCATION).on_hand == 99  # the platform's return is not in yet


def test_a_large_shipment_cancel_waits_for_finance(buyer, address, world, operator, settings):
    from fenxiao.approvals import services as approvals
    from fenxiao.approvals.models import ApprovalRequest

    settings.FENXIAO_REFUND_APPROVAL_FEN = 100
    order = paid_order(buyer, address, world)
    alpha = shipment_of(order, supplier_location(world["alpha"].pk))
    held = services.cancel_shipment(shipment_id=alpha.pk, actor=operator, reason="供应商缺货")
    assert held.status == SH.TO_SHIP
    with pytest.raises(OrderError) as exc:  # held: it cannot ship meanwhile
        ship(alpha, supplier=world["alpha"])
    assert exc.value.code == "cancel_awaiting_approval"
    request = ApprovalRequest.objects.get(kind=services.SHIPMENT_CANCEL_APPROVAL)
    assert request.reference == f"shipment:{alpha.pk}" and request.beneficiaries == [buyer.pk]
    approvals.approve(request_id=request.pk, actor=StaffFactory())
    assert shipment_of(order, alpha.route).status == SH.CANCELLED
    line = OrderLine.objects.get(order=order, sku=world["a_sku"])
    assert line.refunded_fen == line.paid_fen
