"""Cost prices that change at a date (成本价调整) and who fulfils a product or SKU.

A supplier's new cost price takes effect at a date and never changes orders already placed: each
order line keeps the cost it recorded when it was placed (`OrderLine.unit_cost_fen`), and the
scheduled job `apply_cost_changes` sets `Sku.cost_fen` once a change is due. A supplier may schedule
changes only for the SKUs it fulfils (`Sku.fulfilment_supplier_id`); anything else is answered as not
found, exactly like a SKU that does not exist.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.suppliers.models import Supplier

from .errors import CatalogCode, CatalogError
from .models import MAX_PRICE_FEN, Product, Sku, SkuCostChange

CS = SkuCostChange.Status


# --- fulfilment: the platform warehouse or one approved supplier -----------------------------------


def assignable_supplier(supplier_id: int | None) -> Supplier | None:
    """The supplier a product or SKU may be given: None (the platform warehouse) or an approved one;
    an unknown, pending, rejected or suspended supplier is refused (422)."""
    if supplier_id is None:
        return None
    supplier = Supplier.objects.filter(pk=supplier_id).first()
    if supplier is None or supplier.status != Supplier.Status.APPROVED:
        raise CatalogError(
            CatalogCode.SUPPLIER_NOT_APPROVED,
            gettext("只能指定合作中的供应商"),
            {"supplier_id": supplier_id, "status": supplier.status if supplier else None},
            status=422,
        )
    return supplier


@transaction.atomic
def set_product_supplier(*, product: Product, supplier_id: int | None) -> Product:
    """Route a product (its SKUs without a supplier of their own) to a supplier, or back to the platform."""
    supplier = assignable_supplier(supplier_id)
    if product.supplier_id != supplier_id:
        product.supplier = supplier
        product.save(update_fields=["supplier", "updated_at"])
    return product


@transaction.atomic
def set_sku_supplier(*, sku: Sku, supplier_id: int | None) -> Sku:
    """Route one SKU to its own supplier; None: it follows its product."""
    supplier = assignable_supplier(supplier_id)
    if sku.supplier_id != supplier_id:
        sku.supplier = supplier
        sku.save(update_fields=["supplier"])
    return sku


# --- cost changes ------------------------------------------------------------------------------


def _sku_for(sku_id: int, supplier: Supplier | None) -> Sku:
    sku = Sku.objects.select_related("product").filter(pk=sku_id).first()
    if sku is None or (supplier is not None and sku.fulfilment_supplier_id != supplier.pk):
        raise CatalogError(CatalogCode.SKU_NOT_FOUND, gettext("SKU 不存在"), {"sku_id": sku_id}, status=404)
    return sku


@transaction.atomic
def schedule_cost_change(
    sku_id: int, cost_fen: int, effective_at: datetime, actor, supplier: Supplier | None = None
) -> SkuCostChange:
    """A new cost price for a SKU from `effective_at` (in the future). With `supplier`, the SKU must be
    one that supplier fulfils (otherwise 404, as for a SKU that does not exist)."""
    if isinstance(cost_fen, bool) or not isinstance(cost_fen, int) or not 0 <= cost_fen <= MAX_PRICE_FEN:
        raise CatalogError(
            CatalogCode.INVALID_PRICE,
            gettext("成本价须为不小于 0 的整数（分）"),
            {"field": "cost_fen", "max": MAX_PRICE_FEN},
            status=422,
        )
    if not isinstance(effective_at, datetime) or timezone.is_naive(effective_at):
        raise CatalogError(
            CatalogCode.INVALID_COST_CHANGE, gettext("生效时间须为带时区的时间"), {"field": "effective_at"}, status=422
        )
    sku = _sku_for(sku_id, supplier)
    now = timezone.now()
    if effective_at <= now:
        raise CatalogError(
            CatalogCode.COST_CHANGE_IN_PAST,
            gettext("生效时间须晚于现在"),
            {"field": "effective_at", "effective_at": effective_at.isoformat(), "now": now.isoformat()},
            status=422,
        )
    return SkuCostChange.objects.create(
        sku=sku,
        cost_fen=cost_fen,
        effective_at=effective_at,
        requested_by=actor if getattr(actor, "pk", None) else None,
        supplier=supplier,
    )


@transaction.atomic
def cancel_cost_change(change_id: int, actor=None, supplier: Supplier | None = None) -> SkuCostChange:
    """A scheduled change that has not taken effect is withdrawn; an applied or cancelled one is 409.
    With `supplier`, only that supplier's own changes (others are 404)."""
    change = SkuCostChange.objects.select_for_update().filter(pk=change_id).first()
    if change is None or (supplier is not None and change.supplier_id != supplier.pk):
        raise CatalogError(CatalogCode.COST_CHANGE_NOT_FOUND, gettext("成本价变更不存在"), {"change_id": change_id}, status=404)
    if change.status != CS.SCHEDULED:
        raise CatalogError(
            CatalogCode.INVALID_COST_CHANGE,
            gettext("只能取消待生效的成本价变更"),
            {"change_id": change.pk, "status": change.status},
            status=409,
        )
    change.status, change.cancelled_at = CS.CANCELLED, timezone.now()
    change.save(update_fields=["status", "cancelled_at"])
    return change


def apply_cost_changes(now: datetime | None = None) -> dict[str, int]:
    """The scheduled job: every SKU with changes due at `now` takes the cost of its latest due change
    (by effective time, then the latest submitted); all its due changes are marked applied. Run twice,
    it changes nothing more. One transaction per SKU, so one SKU's failure leaves the others applied."""
    now = now or timezone.now()
    due_skus = list(
        SkuCostChange.objects.filter(status=CS.SCHEDULED, effective_at__lte=now)
        .order_by("sku_id")
        .values_list("sku_id", flat=True)
        .distinct()
    )
    applied = changes = 0
    for sku_id in due_skus:
        with transaction.atomic():
            sku = Sku.objects.select_for_update().filter(pk=sku_id).first()
            due = list(
                SkuCostChange.objects.select_for_update()
                .filter(sku_id=sku_id, status=CS.SCHEDULED, effective_at__lte=now)
                .order_by("effective_at", "id")
            )
            if sku is None or not due:  # applied meanwhile by another run
                continue
            latest = due[-1]
            previous = sku.cost_fen
            if sku.cost_fen != latest.cost_fen:
                sku.cost_fen = latest.cost_fen
                sku.save(update_fields=["cost_fen"])
            SkuCostChange.objects.filter(pk__in=[c.pk for c in due]).update(
                status=CS.APPLIED, applied_at=now, previous_cost_fen=previous
            )
            applied += 1
            changes += len(due)
    return {"cost_changes_applied": changes, "cost_change_skus": applied}
