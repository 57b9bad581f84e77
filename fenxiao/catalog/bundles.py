"""场景套装 (bundles): a SKU sold as a set of component SKUs in fixed quantities, at its own price (the
bundle SKU's retail price). The bundle holds no stock of its own; buying it reserves its components,
and the order keeps one line per component (see orders.services.bundles).

`set_bundle_components` is the one way to make a SKU a bundle or change what it holds;
`bundle_views` / `bundle_saving_fen` read what a page shows of it: the parts' list value and the
saving against buying them one by one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.translation import gettext

from .errors import CatalogCode, CatalogError
from .models import BundleComponent, Sku, is_purchasable

MIN_BUNDLE_UNITS = 2
MAX_COMPONENT_QUANTITY = 99
MAX_COMPONENTS = 20

__all__ = [
    "BundlePart",
    "BundleView",
    "bundle_saving_fen",
    "bundle_views",
    "is_bundle",
    "parts_prefetch",
    "prefetch_parts",
    "set_bundle_components",
]


def _invalid(message, **detail) -> CatalogError:
    return CatalogError(CatalogCode.INVALID_BUNDLE, message, detail)


def _clean_components(sku: Sku, components) -> dict[int, int]:
    cleaned: dict[int, int] = {}
    for component_id, quantity in components:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_COMPONENT_QUANTITY:
            raise _invalid(
                gettext("组成数量须为 1 到 %(max)s 的整数") % {"max": MAX_COMPONENT_QUANTITY},
                field="quantity",
                sku_id=component_id,
            )
        component_id = int(component_id)
        if component_id == sku.pk:
            raise _invalid(gettext("套装不能包含它自己"), field="components", sku_id=component_id)
        if component_id in cleaned:
            raise _invalid(gettext("同一个 SKU 在套装中只能出现一次"), field="components", sku_id=component_id)
        cleaned[component_id] = quantity
    if len(cleaned) > MAX_COMPONENTS:
        raise _invalid(gettext("一个套装最多包含 %(max)s 种 SKU") % {"max": MAX_COMPONENTS}, field="components")
    if sum(cleaned.values()) < MIN_BUNDLE_UNITS:
        raise _invalid(gettext("套装至少包含 %(min)s 件商品") % {"min": MIN_BUNDLE_UNITS}, field="components")
    return cleaned


@transaction.atomic
def set_bundle_components(*, sku: Sku, components: Iterable[tuple[int, int]], actor=None) -> list[BundleComponent]:
    """Make `sku` a bundle of `components` ([(component SKU id, quantity)], in display order),
    replacing what it held. Refused (CatalogError invalid_bundle) unless the bundle holds at least two
    units in all, each quantity is 1–99, no component is the bundle itself or a bundle, the bundle is
    not a component of another bundle, and every component may be bought now. `actor`: who changes it
    (for the caller's audit)."""
    Sku.objects.select_for_update().filter(pk=sku.pk).values_list("pk", flat=True).first()
    cleaned = _clean_components(sku, list(components))
    found = Sku.objects.select_related("product__category").in_bulk(list(cleaned))
    if missing := sorted(set(cleaned) - set(found)):
        raise CatalogError(CatalogCode.SKU_NOT_FOUND, gettext("组成 SKU 不存在"), {"sku_ids": missing}, status=404)
    if inactive := sorted(pk for pk, component in found.items() if not is_purchasable(component)):
        raise _invalid(gettext("组成 SKU 须为在售商品（已启用、有零售价、商品已上架）"), field="components", sku_ids=inactive)
    nested = sorted(set(BundleComponent.objects.filter(bundle_id__in=list(cleaned)).values_list("bundle_id", flat=True)))
    if nested:
        raise _invalid(gettext("套装不能包含另一个套装"), field="components", sku_ids=nested)
    if BundleComponent.objects.filter(component_id=sku.pk).exists():
        raise _invalid(gettext("该 SKU 已是其他套装的组成部分，不能再设为套装"), field="sku", sku_id=sku.pk)
    BundleComponent.objects.filter(bundle=sku).delete()
    rows = BundleComponent.objects.bulk_create(
        [
            BundleComponent(bundle=sku, component_id=component_id, quantity=quantity, position=position)
            for position, (component_id, quantity) in enumerate(cleaned.items())
        ]
    )
    return rows


def parts_prefetch(prefix: str = "") -> Prefetch:
    """Prefetch of a SKU's `bundle_components` with each component's product and category, in one
    query (`prefix`: the path to the SKUs, e.g. "skus__" from products). SKUs read with it carry
    what the purchase-info read needs of their components, so that read then reads only stock (a
    page that caches its catalog read caches this with it)."""
    return Prefetch(f"{prefix}bundle_components", queryset=BundleComponent.objects.select_related("component__product__category"))


def prefetch_parts(skus: Iterable[Sku]) -> list[Sku]:
    """Loads `parts_prefetch` on SKUs (one query; none for SKUs that carry it already)."""
    skus = [sku for sku in skus if "bundle_components" not in getattr(sku, "_prefetched_objects_cache", {})]
    if skus:
        prefetch_related_objects(skus, parts_prefetch())
    return skus


def is_bundle(sku: Sku) -> bool:
    """Whether a SKU is a bundle (its `bundle_components`, prefetched or read)."""
    return any(True for _ in sku.bundle_components.all())


@dataclass(frozen=True)
class BundlePart:
    sku: Sku  # the component, with its product
    quantity: int  # units of it in one bundle

    @property
    def list_fen(self) -> int:
        return self.sku.retail_fen * self.quantity


@dataclass(frozen=True)
class BundleView:
    """What a page shows of a bundle SKU: its parts, their list value one by one (Σ retail × quantity)
    and the saving of the bundle price against them (shown only when above 0)."""

    sku_id: int
    price_fen: int
    parts: tuple[BundlePart, ...]

    @property
    def parts_fen(self) -> int:
        return sum(part.list_fen for part in self.parts)

    @property
    def saving_fen(self) -> int:
        return max(0, self.parts_fen - self.price_fen)

    @property
    def shows_saving(self) -> bool:
        return self.saving_fen > 0


def _view(sku: Sku) -> BundleView:
    parts = tuple(BundlePart(sku=row.component, quantity=row.quantity) for row in sku.bundle_components.all())
    return BundleView(sku_id=sku.pk, price_fen=sku.retail_fen, parts=parts)


def bundle_views(skus: Iterable[Sku]) -> dict[int, BundleView]:
    """The bundles among `skus`, by SKU id, with their parts and products: one query for the
    components (none when the SKUs carry `parts_prefetch`)."""
    skus = list(skus)
    prefetch_parts(skus)
    return {sku.pk: _view(sku) for sku in skus if is_bundle(sku)}


def bundle_saving_fen(sku: Sku) -> int:
    """How much the bundle saves against its parts at list price (0 for a SKU that is no bundle or
    saves nothing)."""
    prefetch_parts([sku])
    return _view(sku).saving_fen if is_bundle(sku) else 0
