"""Moving stock out of the catalog keeps every SKU's figure, and can be undone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0001_initial"), ("inventory", "0001_initial")]
AFTER = [("catalog", "0002_remove_sku_stock")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stock_on_hand_moves_into_main_records_and_back():
    try:
        old = migrate(BEFORE)
        Category, Product, Sku = (old.get_model("catalog", name) for name in ("Category", "Product", "Sku"))
        product = Product.objects.create(category=Category.objects.create(name="美妆", slug="beauty"), name="精华液")
        prices = {"cost_fen": 5000, "retail_fen": 15000, "suggested_retail_fen": 15000, "control_fen": 12000}
        stocked = Sku.objects.create(product=product, code="A-1", stock_on_hand=37, **prices)
        empty = Sku.objects.create(product=product, code="A-2", stock_on_hand=0, **prices)

        new = migrate(AFTER)
        StockRecord, StockMovement = new.get_model("inventory", "StockRecord"), new.get_model("inventory", "StockMovement")
        records = {r.sku_id: r for r in StockRecord.objects.all()}
        assert {pk: (r.location, r.on_hand, r.reserved) for pk, r in records.items()} == {
            stocked.pk: ("main", 37, 0),
            empty.pk: ("main", 0, 0),
        }
        movements = list(StockMovement.objects.values_list("stock_record_id", "kind", "on_hand_delta"))
        assert movements == [(records[stocked.pk].pk, "receive", 37)]
        assert "stock_on_hand" not in {f.name for f in new.get_model("catalog", "Sku")._meta.get_fields()}

        StockRecord.objects.filter(pk=records[stocked.pk].pk).update(on_hand=40)
        back = migrate(BEFORE)
        assert dict(back.get_model("catalog", "Sku").objects.values_list("code", "stock_on_hand")) == {"A-1": 40, "A-2": 0}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
