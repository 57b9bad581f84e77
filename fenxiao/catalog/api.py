from django.http import Http404
from ninja import Router

from fenxiao.inventory.selectors import available_by_sku

from . import selectors
from .schemas import CategoryOut, ProductDetailOut, ProductOut

router = Router(tags=["商品 catalog"])


def _product(product, *, detail: bool = False) -> dict:
    data = {
        "id": product.pk,
        "name": product.name,
        "subtitle": product.subtitle,
        "category": product.category,
        "role": product.role,
        "min_retail_fen": product.min_retail_fen,
        "image_urls": [img.image.url for img in product.images.all()],
    }
    if detail:
        data["description"] = product.description
        skus = list(product.skus.all())
        available = available_by_sku(sku.pk for sku in skus)
        data["skus"] = [
            {
                "id": sku.pk,
                "code": sku.code,
                "spec": sku.spec,
                "retail_fen": sku.retail_fen,
                "suggested_retail_fen": sku.suggested_retail_fen,
                "control_fen": sku.control_fen,
                "in_stock": available[sku.pk] > 0,
            }
            for sku in skus
        ]
    return data


@router.get("/categories", response=list[CategoryOut], auth=None, summary="类目")
def categories(request):
    return list(selectors.active_categories())


@router.get("/products", response=list[ProductOut], auth=None, summary="在售商品")
def products(request, category: str | None = None):
    return [_product(p) for p in selectors.shelf_products(category_slug=category)]


@router.get("/products/{product_id}", response=ProductDetailOut, auth=None, summary="商品详情")
def product_detail(request, product_id: int):
    product = selectors.shelf_product(product_id)
    if product is None:
        raise Http404
    return _product(product, detail=True)
