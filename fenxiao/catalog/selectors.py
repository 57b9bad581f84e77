from django.db.models import Min, Prefetch, Q, QuerySet

from .models import Category, Product, ProductImage, Sku


def shelf_products(*, category_slug: str | None = None) -> QuerySet[Product]:
    """Products on shelf with their active SKUs, lowest price and first image, in constant queries."""
    qs = (
        Product.objects.filter(is_on_shelf=True, category__is_active=True)
        .select_related("category")
        .annotate(min_retail_fen=Min("skus__retail_fen", filter=Q(skus__is_active=True)))
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True)),
            Prefetch("images", queryset=ProductImage.objects.order_by("sort_order", "id")),
        )
    )
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    return qs.order_by("sort_order", "id")


def shelf_product(product_id: int) -> Product | None:
    return shelf_products().filter(pk=product_id).first()


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)
