"""Moving stock between locations (a flash sale's own stock and back): only units that are free move,
all or nothing unless partial, a movement on each side, the total on hand never changes, and
transfers racing with buyers never oversell nor deadlock."""

from __future__ import annotations

import pytest

from fenxiao.inventory.errors import InventoryError
from fenxiao.inventory.models import StockMovement, StockRecord
from fenxiao.inventory.services import release, reserve, transfer_stock
from tests.factories import SkuFactory, StaffFactory

FLASH = "flash:1"


def record(sku, location="main") -> StockRecord:
    return StockRecord.objects.get(sku=sku, location=location)


def on_hand_total(sku) -> int:
    return sum(StockRecord.objects.filter(sku=sku).values_list("on_hand", flat=True))


@pytest.mark.django_db
def test_free_units_move_and_each_side_records_a_movement(sku):
    operator = StaffFactory()
    assert transfer_stock(sku_id=sku.pk, quantity=4, source="main", target=FLASH, actor=operator, note="秒杀开始") == 4
    main, flash = record(sku), record(sku, FLASH)
    assert (main.on_hand, main.reserved, flash.on_hand, flash.reserved) == (6, 0, 4, 0)
    assert on_hand_total(sku) == 10
    moves = {
        m.stock_record.location: m
        for m in StockMovement.objects.filter(stock_record__sku=sku, kind=StockMovement.Kind.TRANSFER).select_related(
            "stock_record"
        )
    }
    assert set(moves) == {"main", FLASH}
    assert (moves["main"].on_hand_delta, moves["main"].reserved_delta, moves["main"].reference) == (-4, 0, FLASH)
    assert (moves[FLASH].on_hand_delta, moves[FLASH].reserved_delta, moves[FLASH].reference) == (4, 0, "main")
    assert moves["main"].actor == moves[FLASH].actor == operator
    assert moves["main"].note == moves[FLASH].note == "秒杀开始"

    # and back again: the target's record already exists
    assert transfer_stock(sku_id=sku.pk, quantity=4, source=FLASH, target="main") == 4
    assert (record(sku).on_hand, record(sku, FLASH).on_hand) == (10, 0)
    assert StockMovement.objects.filter(stock_record__sku=sku, kind="transfer").count() == 4


@pytest.mark.django_db
def test_units_held_by_orders_do_not_move(sku):
    reserve(reference="order:1", items=[(sku.pk, 7)])
    with pytest.raises(InventoryError) as exc:
        transfer_stock(sku_id=sku.pk, quantity=4, source="main", target=FLASH)
    assert (exc.value.code, exc.value.status) == ("below_reserved", 409)
    assert exc.value.detail == {"sku_id": sku.pk, "location": "main", "available": 3, "quantity": 4}
    main = record(sku)
    assert (main.on_hand, main.reserved) == (10, 7)
    assert not StockRecord.objects.filter(sku=sku, location=FLASH, on_hand__gt=0).exists()
    assert not StockMovement.objects.filter(kind="transfer").exists()
    assert transfer_stock(sku_id=sku.pk, quantity=3, source="main", target=FLASH) == 3
    assert (record(sku).on_hand, record(sku).reserved, record(sku, FLASH).on_hand) == (7, 7, 3)


@pytest.mark.django_db
def test_partial_moves_what_is_free_up_to_the_quantity(sku):
    reserve(reference="order:1", items=[(sku.pk, 4)])
    assert transfer_stock(sku_id=sku.pk, quantity=8, source="main", target=FLASH, partial=True) == 6
    assert (record(sku).on_hand, record(sku).reserved, record(sku, FLASH).on_hand) == (4, 4, 6)
    # nothing free any more: nothing moves, nothing is recorded
    assert transfer_stock(sku_id=sku.pk, quantity=8, source="main", target=FLASH, partial=True) == 0
    assert StockMovement.objects.filter(kind="transfer").count() == 2
    # units released later are free again
    release(reference="order:1")
    assert transfer_stock(sku_id=sku.pk, quantity=1, source="main", target=FLASH, partial=True) == 1
    assert on_hand_total(sku) == 10


@pytest.mark.django_db
def test_a_sale_s_units_held_by_its_orders_stay_when_the_rest_goes_back(sku):
    transfer_stock(sku_id=sku.pk, quantity=5, source="main", target=FLASH)
    reserve(reference="order:9", items=[(sku.pk, 2)], location=FLASH)
    assert transfer_stock(sku_id=sku.pk, quantity=5, source=FLASH, target="main", partial=True) == 3
    flash = record(sku, FLASH)
    assert (flash.on_hand, flash.reserved, record(sku).on_hand) == (2, 2, 8)
    assert on_hand_total(sku) == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantity, source, target",
    [
        (-1, "main", FLASH),
        (True, "main", FLASH),
        (1.5, "main", FLASH),
        ("2", "main", FLASH),
        (10**9 + 1, "main", FLASH),
        (1, "main", "main"),
    ],
)
def test_invalid_transfers_are_refused(sku, quantity, source, target):
    with pytest.raises(InventoryError) as exc:
        transfer_stock(sku_id=sku.pk, quantity=quantity, source=source, target=target)
    assert exc.value.code == "invalid_quantity"
    assert record(sku).on_hand == 10 and not StockMovement.objects.filter(kind="transfer").exists()


@pytest.mark.django_db
def test_nothing_to_move_changes_nothing(sku):
    assert transfer_stock(sku_id=sku.pk, quantity=0, source="main", target=FLASH) == 0
    assert not StockRecord.objects.filter(sku=sku, location=FLASH).exists()
    assert not StockMovement.objects.filter(kind="transfer").exists()


@pytest.mark.django_db
def test_an_unknown_sku_or_an_empty_source(sku):
    with pytest.raises(InventoryError) as exc:
        transfer_stock(sku_id=sku.pk + 999, quantity=1, source="main", target=FLASH)
    assert (exc.value.code, exc.value.status) == ("unknown_sku", 404)
    with pytest.raises(InventoryError) as exc:
        transfer_stock(sku_id=sku.pk, quantity=1, source="flash:404", target="main")
    assert exc.value.code == "below_reserved" and exc.value.detail["available"] == 0
    assert not StockRecord.objects.filter(location="flash:404").exists()
    assert record(sku).on_hand == 10


@pytest.mark.usefixtures("transactional_db")
def test_transfers_racing_with_buyers_never_oversell():
    from .test_race import run_concurrently

    sku = SkuFactory(stock=50)
    count = 40

    def action(i: int) -> None:
        if i % 2:
            transfer_stock(sku_id=sku.pk, quantity=3, source="main", target=FLASH if i % 4 == 1 else "flash:2")
        else:
            reserve(reference=f"order:{i}", items=[(sku.pk, 3)])

    outcomes = run_concurrently(count, action)
    assert set(outcomes) <= {"ok", "sold_out", "below_reserved"}, outcomes
    main = record(sku)
    moved = sum(StockRecord.objects.filter(sku=sku, location__startswith="flash:").values_list("on_hand", flat=True))
    assert main.on_hand + moved == 50  # never created nor lost
    assert 0 <= main.reserved <= main.on_hand
    assert main.reserved + moved == 3 * outcomes["ok"]
    assert StockMovement.objects.filter(stock_record__sku=sku, kind="transfer").count() == 2 * moved // 3
