"""Catalog writes: SKU prices, the shelf, commission overrides (stock is tested in inventory)."""

import pytest
from django.db import IntegrityError, transaction

from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import CommissionOverride, Sku
from fenxiao.catalog.services import (
    change_sku_prices,
    create_sku,
    set_commission_override,
    set_shelf,
)
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

pytestmark = pytest.mark.django_db


# --- prices ------------------------------------------------------------------------------------


def test_create_sku_with_valid_prices():
    product = ProductFactory()
    sku = create_sku(
        product=product,
        code="BEAUTY-01",
        spec="50ml",
        cost_fen=5000,
        retail_fen=15000,
        suggested_retail_fen=16800,
        control_fen=12000,
    )
    sku.refresh_from_db()
    assert (sku.cost_fen, sku.retail_fen, sku.suggested_retail_fen, sku.control_fen) == (5000, 15000, 16800, 12000)


def test_create_sku_defaults_suggested_and_control_to_retail():
    sku = create_sku(product=ProductFactory(), code="FOOD-01", cost_fen=2000, retail_fen=5000)
    assert sku.suggested_retail_fen == 5000
    assert sku.control_fen == 5000


def test_control_price_above_suggested_is_price_order():
    product = ProductFactory()
    with pytest.raises(CatalogError) as exc:
        create_sku(product=product, code="X1", cost_fen=5000, retail_fen=15000, suggested_retail_fen=15000, control_fen=15001)
    assert exc.value.code == "price_order"
    assert exc.value.detail == {"control_fen": 15001, "suggested_retail_fen": 15000}
    assert not Sku.objects.filter(code="X1").exists()


@pytest.mark.parametrize(
    "prices",
    [
        {"cost_fen": 5000, "retail_fen": 150.0},  # a float is not fen
        {"cost_fen": 5000, "retail_fen": True},
        {"cost_fen": -1, "retail_fen": 15000},
        {"cost_fen": 5000, "retail_fen": 0},
        {"cost_fen": 5000, "retail_fen": 15000, "control_fen": 0},
        {"cost_fen": "5000", "retail_fen": 15000},
    ],
)
def test_invalid_prices_refused(prices):
    with pytest.raises(CatalogError) as exc:
        create_sku(product=ProductFactory(), code="BAD", **prices)
    assert exc.value.code == "invalid_price"
    assert not Sku.objects.filter(code="BAD").exists()


def test_change_prices_checks_order_and_keeps_old_values():
    sku = SkuFactory()
    with pytest.raises(CatalogError) as exc:
        change_sku_prices(sku=sku, cost_fen=5000, retail_fen=15000, suggested_retail_fen=12000, control_fen=13000)
    assert exc.value.code == "price_order"
    sku.refresh_from_db()
    assert (sku.suggested_retail_fen, sku.control_fen) == (15000, 12000)
    change_sku_prices(sku=sku, cost_fen=4000, retail_fen=14000, suggested_retail_fen=14000, control_fen=11000)
    sku.refresh_from_db()
    assert (sku.cost_fen, sku.retail_fen, sku.suggested_retail_fen, sku.control_fen) == (4000, 14000, 14000, 11000)


def test_db_refuses_control_above_suggested():
    sku = SkuFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.filter(pk=sku.pk).update(control_fen=sku.suggested_retail_fen + 1)


# --- shelf ---------------------------------------------------------------------------------------


def test_product_without_active_sku_cannot_go_on_shelf():
    product = ProductFactory(is_on_shelf=False)
    SkuFactory(product=product, is_active=False)
    with pytest.raises(CatalogError) as exc:
        set_shelf(product=product, on_shelf=True)
    assert exc.value.code == "no_active_sku"
    product.refresh_from_db()
    assert not product.is_on_shelf
    SkuFactory(product=product)
    set_shelf(product=product, on_shelf=True)
    product.refresh_from_db()
    assert product.is_on_shelf


# --- commission overrides ------------------------------------------------------------------------


def test_override_third_level_refused():
    category = CategoryFactory()
    with pytest.raises(CatalogError) as exc:
        set_commission_override(category=category, depth=3, mode="rate", rate_bp=500)
    assert exc.value.code == "commission_depth_exceeded"
    assert exc.value.detail["max_depth"] == 2
    assert not CommissionOverride.objects.exists()


def test_db_refuses_third_level_override():
    override = set_commission_override(category=CategoryFactory(), depth=2, mode="rate", rate_bp=500)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionOverride.objects.filter(pk=override.pk).update(depth=3)


@pytest.mark.parametrize("depth", [0, -1, "1", None])
def test_override_depth_must_be_one_or_two(depth):
    with pytest.raises(CatalogError) as exc:
        set_commission_override(category=CategoryFactory(), depth=depth, mode="rate", rate_bp=500)
    assert exc.value.code == "invalid_override"


@pytest.mark.parametrize(
    "values",
    [
        {"mode": "rate"},  # no rate
        {"mode": "rate", "rate_bp": 10001},
        {"mode": "rate", "rate_bp": -1},
        {"mode": "rate", "rate_bp": 500, "fixed_fen": 100},  # both
        {"mode": "fixed"},  # no amount
        {"mode": "fixed", "fixed_fen": -1},
        {"mode": "fixed", "fixed_fen": 100, "rate_bp": 500},  # both
        {"mode": "percent", "rate_bp": 500},
    ],
)
def test_override_rate_vs_fixed_validation(values):
    with pytest.raises(CatalogError) as exc:
        set_commission_override(product=ProductFactory(), depth=1, **values)
    assert exc.value.code == "invalid_override"
    assert not CommissionOverride.objects.exists()


def test_override_scope_is_exactly_one_of_category_or_product():
    product = ProductFactory()
    with pytest.raises(CatalogError) as exc:
        set_commission_override(category=product.category, product=product, depth=1, mode="rate", rate_bp=500)
    assert exc.value.code == "invalid_override"
    with pytest.raises(CatalogError) as exc:
        set_commission_override(depth=1, mode="rate", rate_bp=500)
    assert exc.value.code == "invalid_override"
    assert not CommissionOverride.objects.exists()


def test_override_rate_and_fixed_are_stored():
    product = ProductFactory()
    direct = set_commission_override(product=product, depth=1, mode="rate", rate_bp=2000)
    indirect = set_commission_override(product=product, depth=2, mode="fixed", fixed_fen=500)
    assert (direct.mode, direct.rate_bp, direct.fixed_fen) == ("rate", 2000, None)
    assert (indirect.mode, indirect.rate_bp, indirect.fixed_fen) == ("fixed", None, 500)
    assert product.commission_overrides.count() == 2


def test_override_replaces_existing_for_same_scope_and_depth():
    category = CategoryFactory()
    first = set_commission_override(category=category, depth=1, mode="rate", rate_bp=1500)
    second = set_commission_override(category=category, depth=1, mode="fixed", fixed_fen=800)
    assert first.pk == second.pk
    assert CommissionOverride.objects.filter(category=category).count() == 1
    stored = CommissionOverride.objects.get(category=category, depth=1)
    assert (stored.mode, stored.rate_bp, stored.fixed_fen) == ("fixed", None, 800)
    # the same depth on a product of that category is a separate override
    set_commission_override(product=ProductFactory(category=category), depth=1, mode="rate", rate_bp=2500)
    assert CommissionOverride.objects.count() == 2
