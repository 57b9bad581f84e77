from datetime import datetime

from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet

from .models import Banner, Category, CommissionOverride, Product, ProductImage, Sku, offered_sku_q


def shelf_products(
    *, category_slug: str | None = None, category_id: int | None = None, q: str | None = None
) -> QuerySet[Product]:
    """Products on shelf with their offered SKUs (sellable, and their supplier, if any, approved),
    lowest price and first image, in constant queries. A product without such a SKU is not shown,
    whatever its shelf flag says (a suspended supplier's products disappear until it is reinstated). What a buyer sees
    (with stock and purchase info) is fenxiao.shop.selectors.shop_products, built on this.
    `q` keeps the products whose name or category name contains it (case-insensitive)."""
    qs = (
        Product.objects.filter(is_on_shelf=True, category__is_active=True)
        .filter(Exists(Sku.objects.filter(offered_sku_q(), product=OuterRef("pk"))))
        .select_related("category")
        .annotate(min_retail_fen=Min("skus__retail_fen", filter=offered_sku_q("skus__")))
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.filter(offered_sku_q())),
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
        )
    )
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(category__name__icontains=q))
    return qs.order_by("sort_order", "id")


def shelf_product(product_id: int) -> Product | None:
    return shelf_products().filter(pk=product_id).first()


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def active_category(category_id: int) -> Category | None:
    return Category.objects.filter(is_active=True, pk=category_id).first()


def live_banners(now: datetime) -> QuerySet[Banner]:
    """Banners switched on whose dates include `now` (an open end never ends), in display order;
    a banner linking to a product or category that a buyer cannot open is left out."""
    sellable = Exists(Sku.objects.filter(offered_sku_q(), product=OuterRef("product_id")))
    return (
        Banner.objects.filter(is_active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .filter(
            Q(target=Banner.Target.URL)
            | Q(target=Banner.Target.CATEGORY, category__is_active=True)
            | (Q(target=Banner.Target.PRODUCT, product__is_on_shelf=True, product__category__is_active=True) & Q(sellable))
        )
        .order_by("sort_order", "id")
    )


def operator_products(
    *, category_id: int | None = None, on_shelf: bool | None = None, role: str | None = None, q: str | None = None
) -> QuerySet[Product]:
    """Every product for the operator, on shelf or not, with all its SKUs, newest last."""
    qs = Product.objects.prefetch_related(Prefetch("skus", queryset=Sku.objects.order_by("id")))
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if on_shelf is not None:
        qs = qs.filter(is_on_shelf=on_shelf)
    if role:
        qs = qs.filter(role=role)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(subtitle__icontains=q))
    return qs.order_by("id")


def commission_overrides(*, category_id: int | None = None, product_id: int | None = None) -> QuerySet[CommissionOverride]:
    qs = CommissionOverride.objects.all()
    if category_id is not None:
        qs = qs.filter(category_id=category_id)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    return qs.order_by("depth")
