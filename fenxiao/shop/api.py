"""The public shop API: categories and products on sale, each SKU with its price and whether it is
in stock (from the purchase-info read); a bundle SKU (场景套装) with its parts and its saving."""

from django.http import Http404
from ninja import Router

from fenxiao.catalog.bundles import bundle_views

from . import selectors
from .schemas import CategoryOut, ProductDetailOut, ProductOut

router = Router(tags=["商品 catalog"])


def _bundle(view) -> dict | None:
    """A bundle SKU's parts and what it saves against them (None for an ordinary SKU)."""
    if view is None:
        return None
    return {
        "components": [
            {
                "sku_id": part.sku.pk,
                "name": part.sku.product.name,
                "spec": part.sku.spec,
                "quantity": part.quantity,
                "retail_fen": part.sku.retail_fen,
            }
            for part in view.parts
        ],
        "parts_fen": view.parts_fen,
        "saving_fen": view.saving_fen,
    }


def _product(product, *, detail: bool = False) -> dict:
    data = {
        "id": product.pk,
        "name": product.name,
        "subtitle": product.subtitle,
        "category": product.category,
        "role": product.role,
        "min_retail_fen": product.purchase.price_min_fen,
        "image_urls": [img.image.url for img in product.images.all()],
    }
    if detail:
        bundles = bundle_views(product.skus.all())
        data["description"] = product.description
        data["skus"] = [
            {
                "id": sku.pk,
                "code": sku.code,
                "spec": sku.spec,
                "retail_fen": sku.purchase.price_fen,
                "suggested_retail_fen": sku.suggested_retail_fen,
                "control_fen": sku.control_fen,
                "in_stock": sku.purchase.in_stock,
                "bundle": _bundle(bundles.get(sku.pk)),
            }
            for sku in product.skus.all()
        ]
    return data


@router.get("/categories", response=list[CategoryOut], auth=None, summary="类目")
def categories(request):
    return list(selectors.shop_categories())


@router.get("/products", response=list[ProductOut], auth=None, summary="在售商品")
def products(request, category: str | None = None):
    return [_product(p) for p in selectors.shop_products(category_slug=category)]


@router.get("/products/{product_id}", response=ProductDetailOut, auth=None, summary="商品详情")
def product_detail(request, product_id: int):
    product = selectors.shop_product(product_id)
    if product is None:
        raise Http404
    return _product(product, detail=True)
