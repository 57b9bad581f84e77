"""Whatever sequence of receipts, adjustments, reservations, payments, cancellations and shipments
happens, stock stays within 0 <= reserved <= on_hand, reserved equals what live reservations hold,
and the movement trail adds up to the figures."""

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import Reservation, StockRecord
from fenxiao.inventory.services import adjust_stock, confirm, consume, receive_stock, release, reserve
from tests.factories import SkuFactory

SKUS = 3
REFERENCES = 4

sku_index = st.integers(0, SKUS - 1)
reference = st.integers(0, REFERENCES - 1)
operation = st.one_of(
    st.tuples(st.just("reserve"), reference, st.lists(st.tuples(sku_index, st.integers(1, 4)), min_size=1, max_size=3)),
    st.tuples(st.just("confirm"), reference),
    st.tuples(st.just("release"), reference),
    st.tuples(st.just("consume"), reference),
    st.tuples(st.just("adjust"), sku_index, st.integers(-15, 15).filter(bool)),
    st.tuples(st.just("receive"), sku_index, st.integers(1, 10)),
)


def apply(op, skus):
    kind, *args = op
    if kind == "reserve":
        ref, lines = args
        reserve(reference=f"order:{ref}", items=[(skus[i].pk, quantity) for i, quantity in lines])
    elif kind in ("confirm", "release", "consume"):
        {"confirm": confirm, "release": release, "consume": consume}[kind](reference=f"order:{args[0]}")
    elif kind == "adjust":
        adjust_stock(sku_id=skus[args[0]].pk, delta=args[1])
    else:
        receive_stock(sku_id=skus[args[0]].pk, quantity=args[1])


def check_invariants(skus):
    for record in StockRecord.objects.filter(sku__in=skus):
        assert 0 <= record.reserved <= record.on_hand
        held = Reservation.objects.filter(stock_record=record, status__in=["active", "confirmed"]).aggregate(n=Sum("quantity"))
        assert record.reserved == (held["n"] or 0)
        trail = record.movements.aggregate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))
        assert (record.on_hand, record.reserved) == (trail["on_hand"] or 0, trail["reserved"] or 0)


@pytest.mark.django_db
@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=st.lists(st.integers(0, 20), min_size=SKUS, max_size=SKUS), ops=st.lists(operation, min_size=1, max_size=30))
def test_any_sequence_keeps_stock_consistent(initial, ops):
    with transaction.atomic():  # each example starts from an empty database
        skus = [SkuFactory(stock=0) for _ in initial]
        for sku, quantity in zip(skus, initial, strict=True):
            if quantity:
                receive_stock(sku_id=sku.pk, quantity=quantity)
        for op in ops:
            try:
                with transaction.atomic():  # a caller's transaction: a refused step leaves nothing behind
                    apply(op, skus)
            except InventoryError:
                pass
            check_invariants(skus)
        transaction.set_rollback(True)
