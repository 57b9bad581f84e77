"""The only code that writes the catalog: products, SKUs and their prices, overrides. Stock is
written by inventory.services."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.common.money import MAX_RATE_BP

from .errors import CatalogError
from .models import MAX_COMMISSION_DEPTH, Category, CommissionOverride, Product, Sku


def validate_prices(*, cost_fen: int, retail_fen: int, suggested_retail_fen: int, control_fen: int) -> None:
    """Prices are whole fen; the control price may not exceed the suggested retail price."""
    values = {"cost_fen": cost_fen, "retail_fen": retail_fen, "suggested_retail_fen": suggested_retail_fen, "control_fen": control_fen}
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise CatalogError("invalid_price", gettext("%(field)s 必须是整数（分）") % {"field": name}, {"field": name})
    if cost_fen < 0:
        raise CatalogError("invalid_price", gettext("成本不能为负"), {"field": "cost_fen"})
    for name in ("retail_fen", "suggested_retail_fen", "control_fen"):
        if values[name] <= 0:
            raise CatalogError("invalid_price", gettext("价格必须大于 0"), {"field": name})
    if control_fen > suggested_retail_fen:
        raise CatalogError(
            "price_order",
            gettext("控价不能高于建议零售价"),
            {"control_fen": control_fen, "suggested_retail_fen": suggested_retail_fen},
        )


@transaction.atomic
def create_sku(
    *,
    product: Product,
    code: str,
    spec: str = "",
    cost_fen: int,
    retail_fen: int,
    suggested_retail_fen: int | None = None,
    control_fen: int | None = None,
) -> Sku:
    suggested_retail_fen = retail_fen if suggested_retail_fen is None else suggested_retail_fen
    control_fen = suggested_retail_fen if control_fen is None else control_fen
    validate_prices(
        cost_fen=cost_fen, retail_fen=retail_fen, suggested_retail_fen=suggested_retail_fen, control_fen=control_fen
    )
    return Sku.objects.create(
        product=product,
        code=code,
        spec=spec,
        cost_fen=cost_fen,
        retail_fen=retail_fen,
        suggested_retail_fen=suggested_retail_fen,
        control_fen=control_fen,
    )


def change_sku_prices(
    *, sku: Sku, cost_fen: int, retail_fen: int, suggested_retail_fen: int, control_fen: int
) -> Sku:
    validate_prices(
        cost_fen=cost_fen, retail_fen=retail_fen, suggested_retail_fen=suggested_retail_fen, control_fen=control_fen
    )
    sku.cost_fen, sku.retail_fen = cost_fen, retail_fen
    sku.suggested_retail_fen, sku.control_fen = suggested_retail_fen, control_fen
    sku.save(update_fields=["cost_fen", "retail_fen", "suggested_retail_fen", "control_fen"])
    return sku


def set_shelf(*, product: Product, on_shelf: bool) -> Product:
    if on_shelf and not product.skus.filter(is_active=True).exists():
        raise CatalogError("no_active_sku", gettext("没有可售 SKU 的商品不能上架"), {"product_id": product.pk})
    product.is_on_shelf = on_shelf
    product.save(update_fields=["is_on_shelf", "updated_at"])
    return product


def validate_override(*, depth: int, mode: str, rate_bp: int | None, fixed_fen: int | None) -> None:
    if not isinstance(depth, int) or depth < 1:
        raise CatalogError("invalid_override", gettext("佣金层级必须是 1（直推）或 2（间推）"), {"depth": depth})
    if depth > MAX_COMMISSION_DEPTH:
        raise CatalogError(
            "commission_depth_exceeded",
            gettext("佣金最多两级（直推 + 间推），不能设置第 %(depth)s 级") % {"depth": depth},
            {"depth": depth, "max_depth": MAX_COMMISSION_DEPTH},
        )
    if mode == CommissionOverride.Mode.RATE:
        if rate_bp is None or fixed_fen is not None or not 0 <= rate_bp <= MAX_RATE_BP:
            raise CatalogError("invalid_override", gettext("按比例时须填写 0–10000 基点的比例，且不填固定金额"), {"rate_bp": rate_bp})
    elif mode == CommissionOverride.Mode.FIXED:
        if fixed_fen is None or rate_bp is not None or fixed_fen < 0:
            raise CatalogError("invalid_override", gettext("固定金额时须填写不小于 0 的金额（分），且不填比例"), {"fixed_fen": fixed_fen})
    else:
        raise CatalogError("invalid_override", gettext("方式只能是 rate 或 fixed"), {"mode": mode})


@transaction.atomic
def set_commission_override(
    *,
    depth: int,
    mode: str,
    rate_bp: int | None = None,
    fixed_fen: int | None = None,
    category: Category | None = None,
    product: Product | None = None,
) -> CommissionOverride:
    """Create or replace the override of one scope (a category or a product) for one level."""
    if (category is None) == (product is None):
        raise CatalogError("invalid_override", gettext("佣金覆盖必须且只能指定类目或商品之一"))
    validate_override(depth=depth, mode=mode, rate_bp=rate_bp, fixed_fen=fixed_fen)
    override, _ = CommissionOverride.objects.update_or_create(
        category=category, product=product, depth=depth, defaults={"mode": mode, "rate_bp": rate_bp, "fixed_fen": fixed_fen}
    )
    return override
