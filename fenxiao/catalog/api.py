"""The operator API of the catalog: categories, products and their shelf, SKUs and their prices,
commission overrides per category or product. Every write goes through catalog.services, the same
code the console uses; each endpoint asks for the staff permission of the model it touches."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fenxiao.accounts.auth import member_auth, require_staff_perm

from . import costs, selectors, services
from .errors import CatalogCode, CatalogError
from .models import Category, Product, Sku
from .schemas import (
    CommissionOverrideIn,
    CommissionOverrideOut,
    OperatorCategoryOut,
    OperatorProductFilter,
    OperatorProductIn,
    OperatorProductOut,
    OperatorProductPageOut,
    OperatorProductPatchIn,
    OperatorProductShelfIn,
    OperatorSkuIn,
    OperatorSkuOut,
    OperatorSkuPatchIn,
    OperatorSkuPricesIn,
)

operator_router = Router(tags=["运营：商品 operator catalog"], auth=member_auth)


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise CatalogError(CatalogCode.CATEGORY_NOT_FOUND, _("类目不存在"), {"category_id": category_id}, status=404)
    return category


def _product(product_id: int) -> Product:
    product = selectors.operator_products().filter(pk=product_id).first()
    if product is None:
        raise CatalogError(CatalogCode.PRODUCT_NOT_FOUND, _("商品不存在"), {"product_id": product_id}, status=404)
    return product


def _sku(sku_id: int) -> Sku:
    sku = Sku.objects.select_related("product").filter(pk=sku_id).first()
    if sku is None:
        raise CatalogError(CatalogCode.SKU_NOT_FOUND, _("SKU 不存在"), {"sku_id": sku_id}, status=404)
    return sku


# --- categories and products -----------------------------------------------------------------------


@operator_router.get("/categories", response=list[OperatorCategoryOut], summary="类目（含停用）")
def list_categories(request):
    require_staff_perm(request, "catalog.view_category")
    return list(Category.objects.order_by("sort_order", "id"))


@operator_router.get("/products", response=OperatorProductPageOut, summary="商品列表（含未上架，分页）")
def list_products(request, filters: Query[OperatorProductFilter]):
    require_staff_perm(request, "catalog.view_product")
    qs = selectors.operator_products(category_id=filters.category_id, on_shelf=filters.on_shelf, role=filters.role, q=filters.q)
    start = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "items": list(qs[start : start + filters.page_size]),
    }


@operator_router.post("/products", response={201: OperatorProductOut}, summary="新建商品（未上架）")
def create_product(request, payload: OperatorProductIn):
    require_staff_perm(request, "catalog.add_product")
    data = payload.dict()
    category = _category(data.pop("category_id"))
    data["supplier"] = costs.assignable_supplier(data.pop("supplier_id"))
    product = services.create_product(category=category, **data)
    return Status(201, _product(product.pk))


@operator_router.get("/products/{product_id}", response=OperatorProductOut, summary="商品详情（含全部 SKU 与成本）")
def read_product(request, product_id: int):
    require_staff_perm(request, "catalog.view_product")
    return _product(product_id)


@operator_router.patch("/products/{product_id}", response=OperatorProductOut, summary="修改商品信息（上下架另有接口）")
def update_product(request, product_id: int, payload: OperatorProductPatchIn):
    require_staff_perm(request, "catalog.change_product")
    product = _product(product_id)
    data = payload.dict(exclude_unset=True)
    nullable = {name: data.pop(name) for name in ("supplier_id", "shelf_life_days") if name in data}
    if "category_id" in data:
        category_id = data.pop("category_id")
        if category_id is None:
            raise CatalogError(CatalogCode.INVALID_PRODUCT, _("类目不能为空"), {"field": "category_id"})
        data["category"] = _category(category_id)
    if any(value is None for value in data.values()):
        raise CatalogError(
            CatalogCode.INVALID_PRODUCT, _("字段不能为空"), {"fields": sorted(k for k, v in data.items() if v is None)}
        )
    if "supplier_id" in nullable:  # null: back to the platform warehouse
        data["supplier"] = costs.assignable_supplier(nullable["supplier_id"])
    if "shelf_life_days" in nullable:  # null: no shelf life on the label
        data["shelf_life_days"] = nullable["shelf_life_days"]
    services.update_product(product=product, **data)
    return _product(product_id)


@operator_router.post("/products/{product_id}/shelf", response=OperatorProductOut, summary="上架或下架（上架须有可售 SKU）")
def set_shelf(request, product_id: int, payload: OperatorProductShelfIn):
    require_staff_perm(request, "catalog.change_product")
    services.set_shelf(product=_product(product_id), on_shelf=payload.on_shelf)
    return _product(product_id)


# --- SKUs and prices -------------------------------------------------------------------------------


@operator_router.post("/products/{product_id}/skus", response={201: OperatorSkuOut}, summary="新增 SKU（价格单位：分）")
def create_sku(request, product_id: int, payload: OperatorSkuIn):
    require_staff_perm(request, "catalog.add_sku")
    product = _product(product_id)
    data = payload.dict()
    supplier_id = data.pop("supplier_id")
    costs.assignable_supplier(supplier_id)
    sku = services.create_sku(product=product, **data)
    return Status(201, costs.set_sku_supplier(sku=sku, supplier_id=supplier_id))


@operator_router.patch("/skus/{sku_id}", response=OperatorSkuOut, summary="修改 SKU 规格或启用状态")
def update_sku(request, sku_id: int, payload: OperatorSkuPatchIn):
    require_staff_perm(request, "catalog.change_sku")
    data = payload.dict(exclude_unset=True)
    routed = "supplier_id" in data
    supplier_id = data.pop("supplier_id", None)
    if any(value is None for value in data.values()):
        raise CatalogError(
            CatalogCode.INVALID_SKU, _("字段不能为空"), {"fields": sorted(k for k, v in data.items() if v is None)}
        )
    sku = _sku(sku_id)
    if routed:
        costs.assignable_supplier(supplier_id)
    sku = services.update_sku(sku=sku, **data)
    if routed:
        costs.set_sku_supplier(sku=sku, supplier_id=supplier_id)
    return sku


@operator_router.put("/skus/{sku_id}/prices", response=OperatorSkuOut, summary="调价：成本、零售价、建议零售价、控价（分）")
def change_prices(request, sku_id: int, payload: OperatorSkuPricesIn):
    require_staff_perm(request, "catalog.change_sku")
    return services.change_sku_prices(sku=_sku(sku_id), **payload.dict())


# --- commission overrides --------------------------------------------------------------------------


@operator_router.get(
    "/categories/{category_id}/commission-overrides", response=list[CommissionOverrideOut], summary="类目佣金覆盖"
)
def category_overrides(request, category_id: int):
    require_staff_perm(request, "catalog.view_commissionoverride")
    return list(selectors.commission_overrides(category_id=_category(category_id).pk))


@operator_router.put(
    "/categories/{category_id}/commission-overrides/{depth}",
    response=CommissionOverrideOut,
    summary="设置类目某一级佣金（1 直推、2 间推；没有第三级）",
)
def set_category_override(request, category_id: int, depth: int, payload: CommissionOverrideIn):
    require_staff_perm(request, "catalog.change_commissionoverride")
    require_staff_perm(request, "catalog.add_commissionoverride")
    return services.set_commission_override(category=_category(category_id), depth=depth, **payload.dict())


@operator_router.delete(
    "/categories/{category_id}/commission-overrides/{depth}", response={204: None}, summary="取消类目某一级佣金覆盖"
)
def remove_category_override(request, category_id: int, depth: int):
    require_staff_perm(request, "catalog.delete_commissionoverride")
    services.remove_commission_override(category=_category(category_id), depth=depth)
    return Status(204, None)


@operator_router.get("/products/{product_id}/commission-overrides", response=list[CommissionOverrideOut], summary="商品佣金覆盖")
def product_overrides(request, product_id: int):
    require_staff_perm(request, "catalog.view_commissionoverride")
    return list(selectors.commission_overrides(product_id=_product(product_id).pk))


@operator_router.put(
    "/products/{product_id}/commission-overrides/{depth}",
    response=CommissionOverrideOut,
    summary="设置商品某一级佣金（优先于类目；1 直推、2 间推；没有第三级）",
)
def set_product_override(request, product_id: int, depth: int, payload: CommissionOverrideIn):
    require_staff_perm(request, "catalog.change_commissionoverride")
    require_staff_perm(request, "catalog.add_commissionoverride")
    return services.set_commission_override(product=_product(product_id), depth=depth, **payload.dict())


@operator_router.delete(
    "/products/{product_id}/commission-overrides/{depth}", response={204: None}, summary="取消商品某一级佣金覆盖"
)
def remove_product_override(request, product_id: int, depth: int):
    require_staff_perm(request, "catalog.delete_commissionoverride")
    services.remove_commission_override(product=_product(product_id), depth=depth)
    return Status(204, None)
