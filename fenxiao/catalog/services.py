"""The only code that writes the catalog: products, SKUs and their prices, overrides, and the rules
banners obey. Stock is written by inventory.services."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext

from fenxiao.addresses import regions
from fenxiao.common.money import MAX_RATE_BP, yuan

from .content import MAX_DESCRIPTION_CHARS
from .costs import assignable_supplier
from .errors import CatalogCode, CatalogError
from .models import (
    MAX_COMMISSION_DEPTH,
    MAX_PRICE_FEN,
    Banner,
    Category,
    CommissionOverride,
    FreeShippingRule,
    Product,
    ShippingRate,
    ShippingTemplate,
    Sku,
    sellable_sku_q,
)


def validate_prices(*, cost_fen: int, retail_fen: int, suggested_retail_fen: int, control_fen: int) -> None:
    """Prices are whole fen; the control price may not exceed the suggested retail price."""
    values = {
        "cost_fen": cost_fen,
        "retail_fen": retail_fen,
        "suggested_retail_fen": suggested_retail_fen,
        "control_fen": control_fen,
    }
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise CatalogError(
                CatalogCode.INVALID_PRICE, gettext("%(field)s 必须是整数（分）") % {"field": name}, {"field": name}
            )
    if cost_fen < 0:
        raise CatalogError(CatalogCode.INVALID_PRICE, gettext("成本不能为负"), {"field": "cost_fen"})
    for name, value in values.items():
        if value > MAX_PRICE_FEN:
            raise CatalogError(
                CatalogCode.INVALID_PRICE,
                gettext("价格不能超过 ¥%(max)s") % {"max": yuan(MAX_PRICE_FEN)},
                {"field": name, "max": MAX_PRICE_FEN},
            )
    for name in ("retail_fen", "suggested_retail_fen", "control_fen"):
        if values[name] <= 0:
            raise CatalogError(CatalogCode.INVALID_PRICE, gettext("价格必须大于 0"), {"field": name})
    if control_fen > suggested_retail_fen:
        raise CatalogError(
            CatalogCode.PRICE_ORDER,
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
    weight_g: int = 0,
) -> Sku:
    suggested_retail_fen = retail_fen if suggested_retail_fen is None else suggested_retail_fen
    control_fen = suggested_retail_fen if control_fen is None else control_fen
    validate_prices(cost_fen=cost_fen, retail_fen=retail_fen, suggested_retail_fen=suggested_retail_fen, control_fen=control_fen)
    if not code or not code.strip():
        raise CatalogError(CatalogCode.INVALID_SKU, gettext("SKU 编码不能为空"), {"field": "code"})
    if Sku.objects.filter(code=code).exists():
        raise CatalogError(CatalogCode.SKU_CODE_TAKEN, gettext("SKU 编码已存在"), {"code": code}, status=409)
    if isinstance(weight_g, bool) or not isinstance(weight_g, int) or weight_g < 0:
        raise CatalogError(CatalogCode.INVALID_SKU, gettext("重量须为不小于 0 的整数（克）"), {"field": "weight_g"})
    return Sku.objects.create(
        product=product,
        code=code,
        spec=spec,
        cost_fen=cost_fen,
        retail_fen=retail_fen,
        suggested_retail_fen=suggested_retail_fen,
        control_fen=control_fen,
        weight_g=weight_g,
    )


def change_sku_prices(*, sku: Sku, cost_fen: int, retail_fen: int, suggested_retail_fen: int, control_fen: int) -> Sku:
    validate_prices(cost_fen=cost_fen, retail_fen=retail_fen, suggested_retail_fen=suggested_retail_fen, control_fen=control_fen)
    sku.cost_fen, sku.retail_fen = cost_fen, retail_fen
    sku.suggested_retail_fen, sku.control_fen = suggested_retail_fen, control_fen
    sku.save(update_fields=["cost_fen", "retail_fen", "suggested_retail_fen", "control_fen"])
    return sku


def ensure_sellable(product: Product, *, deactivating: Iterable[int] = ()) -> None:
    """The shelf rule: a product is on the shelf only with at least one sellable SKU (see
    sellable_sku_q), counting without the SKUs in `deactivating` (about to be switched off)."""
    sellable = Sku.objects.none() if product.pk is None else product.skus.filter(sellable_sku_q())
    if not sellable.exclude(pk__in=list(deactivating)).exists():
        raise CatalogError(
            CatalogCode.NO_ACTIVE_SKU,
            gettext("商品没有可售 SKU（已启用且零售价大于 0），不能上架；请先添加或启用 SKU"),
            {"product_id": product.pk},
        )


def _lock_product(product_id: int) -> None:
    """Serialises the shelf and the switching of its SKUs, so that two SKUs switched off at once
    cannot both pass the shelf rule."""
    Product.objects.select_for_update().filter(pk=product_id).values_list("pk", flat=True).first()


@transaction.atomic
def set_shelf(*, product: Product, on_shelf: bool) -> Product:
    if on_shelf:
        _lock_product(product.pk)
        ensure_sellable(product)
    product.is_on_shelf = on_shelf
    product.save(update_fields=["is_on_shelf", "updated_at"])
    return product


def check_skus_leaving(product: Product, sku_ids: Iterable[int]) -> None:
    """Switching off (or removing) the last sellable SKUs of a product on the shelf is refused: take
    the product off the shelf first."""
    sku_ids = list(sku_ids)
    if not sku_ids or not product.is_on_shelf:
        return
    try:
        ensure_sellable(product, deactivating=sku_ids)
    except CatalogError as exc:
        raise CatalogError(
            CatalogCode.LAST_SELLABLE_SKU,
            gettext("这是在售商品最后一个可售 SKU，不能停用；请先下架商品"),
            {"product_id": product.pk, "sku_ids": sku_ids},
        ) from exc


def check_sku_active_change(sku: Sku, is_active: bool) -> None:
    if not is_active and sku.pk is not None and sku.is_active:
        check_skus_leaving(sku.product, [sku.pk])


@transaction.atomic
def update_sku(*, sku: Sku, spec: str | None = None, is_active: bool | None = None) -> Sku:
    """Change a SKU's spec or switch it on or off; prices change through change_sku_prices."""
    fields = []
    if spec is not None:
        sku.spec = spec
        fields.append("spec")
    if is_active is not None:
        _lock_product(sku.product_id)
        check_sku_active_change(sku, is_active)
        sku.is_active = is_active
        fields.append("is_active")
    if fields:
        sku.save(update_fields=fields)
    return sku


def validate_override_depth(depth: int) -> None:
    """Commission has two levels (direct, indirect); a third is refused everywhere with the same code."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise CatalogError(CatalogCode.INVALID_OVERRIDE, gettext("佣金层级必须是 1（直推）或 2（间推）"), {"depth": depth})
    if depth > MAX_COMMISSION_DEPTH:
        raise CatalogError(
            CatalogCode.COMMISSION_DEPTH_EXCEEDED,
            gettext("佣金最多两级（直推 + 间推），不能设置第 %(depth)s 级") % {"depth": depth},
            {"depth": depth, "max_depth": MAX_COMMISSION_DEPTH},
        )


def validate_override(*, depth: int, mode: str, rate_bp: int | None, fixed_fen: int | None) -> None:
    validate_override_depth(depth)
    if mode == CommissionOverride.Mode.RATE:
        if rate_bp is None or fixed_fen is not None or not 0 <= rate_bp <= MAX_RATE_BP:
            raise CatalogError(
                CatalogCode.INVALID_OVERRIDE, gettext("按比例时须填写 0%–100% 的比例，且不填固定金额"), {"rate_bp": rate_bp}
            )
    elif mode == CommissionOverride.Mode.FIXED:
        if fixed_fen is None or rate_bp is not None or not 0 <= fixed_fen <= MAX_PRICE_FEN:
            raise CatalogError(
                CatalogCode.INVALID_OVERRIDE,
                gettext("固定金额时须填写不小于 0 的金额（分），且不填比例"),
                {"fixed_fen": fixed_fen},
            )
    else:
        raise CatalogError(CatalogCode.INVALID_OVERRIDE, gettext("方式只能是 rate 或 fixed"), {"mode": mode})


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
        raise CatalogError(CatalogCode.INVALID_OVERRIDE, gettext("佣金覆盖必须且只能指定类目或商品之一"))
    validate_override(depth=depth, mode=mode, rate_bp=rate_bp, fixed_fen=fixed_fen)
    override, _ = CommissionOverride.objects.update_or_create(
        category=category, product=product, depth=depth, defaults={"mode": mode, "rate_bp": rate_bp, "fixed_fen": fixed_fen}
    )
    return override


@transaction.atomic
def remove_commission_override(*, depth: int, category: Category | None = None, product: Product | None = None) -> int:
    """Drop the override of one scope for one level; the next rule (category, then level) applies."""
    if (category is None) == (product is None):
        raise CatalogError(CatalogCode.INVALID_OVERRIDE, gettext("佣金覆盖必须且只能指定类目或商品之一"))
    validate_override_depth(depth)
    deleted, _ = CommissionOverride.objects.filter(category=category, product=product, depth=depth).delete()
    return deleted


# --- products --------------------------------------------------------------------------------------

# Label data (产品标签) shown on the product page, with the model's length limits
LABEL_FIELDS = {"ingredients": 2000, "manufacturer": 120, "manufacturer_address": 200, "licence_number": 40, "storage": 120}
MAX_SHELF_LIFE_DAYS = 36500
PRODUCT_FIELDS = (
    "category",
    "name",
    "subtitle",
    "description",
    "role",
    "sort_order",
    "supplier",
    *LABEL_FIELDS,
    "shelf_life_days",
)


def _clean_product(fields: dict) -> None:
    if "name" in fields and not str(fields["name"]).strip():
        raise CatalogError(CatalogCode.INVALID_PRODUCT, gettext("商品名称不能为空"), {"field": "name"})
    if "role" in fields and fields["role"] not in Product.Role.values:
        raise CatalogError(
            CatalogCode.INVALID_PRODUCT, gettext("商品定位不正确"), {"field": "role", "choices": list(Product.Role.values)}
        )
    if len(fields.get("description") or "") > MAX_DESCRIPTION_CHARS:
        raise CatalogError(
            CatalogCode.INVALID_PRODUCT,
            gettext("商品详情不能超过 %(n)s 个字符") % {"n": MAX_DESCRIPTION_CHARS},
            {"field": "description"},
        )
    for name, limit in LABEL_FIELDS.items():
        if len(str(fields.get(name) or "")) > limit:
            raise CatalogError(
                CatalogCode.INVALID_PRODUCT,
                gettext("%(field)s 不能超过 %(n)s 个字符") % {"field": name, "n": limit},
                {"field": name, "max_length": limit},
            )
    days = fields.get("shelf_life_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_SHELF_LIFE_DAYS):
        raise CatalogError(
            CatalogCode.INVALID_PRODUCT,
            gettext("保质期须为 1–%(n)s 天") % {"n": MAX_SHELF_LIFE_DAYS},
            {"field": "shelf_life_days", "max": MAX_SHELF_LIFE_DAYS},
        )
    supplier = fields.get("supplier")
    if supplier is not None:
        assignable_supplier(supplier.pk)
    category = fields.get("category")
    if category is not None and not category.is_active:
        raise CatalogError(CatalogCode.INVALID_PRODUCT, gettext("类目已停用"), {"field": "category_id"})


@transaction.atomic
def create_product(*, category: Category, name: str, **fields) -> Product:
    """A new product starts off the shelf: it needs a sellable SKU first (see set_shelf)."""
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    _clean_product({"category": category, "name": name, **fields})
    return Product.objects.create(category=category, name=name.strip(), is_on_shelf=False, **fields)


@transaction.atomic
def update_product(*, product: Product, **fields) -> Product:
    """Change a product's description fields; the shelf moves only through set_shelf."""
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    _clean_product(fields)
    for name, value in fields.items():
        setattr(product, name, value.strip() if name == "name" else value)
    if fields:
        product.save(update_fields=[*fields, "updated_at"])
    return product


# --- banners ---------------------------------------------------------------------------------


def is_site_path(url: str) -> bool:
    """A link that stays on this site: an absolute path ("/search/?q=…"), never another host
    ("//host", "https://…"), a scheme ("javascript:") or a backslash trick ("/\\host")."""
    if not url.startswith("/") or url.startswith("//"):
        return False
    if any(ch in url for ch in "\\\x00\r\n\t "):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def validate_banner(*, target: str, product, category, url: str, starts_at, ends_at) -> None:
    """What a banner must be before it is saved: its link matches its kind (a product, a category or
    a path on this site), and it ends after it starts. Raises CatalogError(invalid_banner)."""
    if target not in Banner.Target.values:
        raise CatalogError(CatalogCode.INVALID_BANNER, gettext("请选择链接类型"), {"field": "target"})
    if target == Banner.Target.PRODUCT and product is None:
        raise CatalogError(CatalogCode.INVALID_BANNER, gettext("请选择要链接的商品"), {"field": "product"})
    if target == Banner.Target.CATEGORY and category is None:
        raise CatalogError(CatalogCode.INVALID_BANNER, gettext("请选择要链接的类目"), {"field": "category"})
    if target == Banner.Target.URL and not is_site_path(url or ""):
        raise CatalogError(CatalogCode.INVALID_BANNER, gettext("站内链接须以 / 开头，且不能指向其他网站"), {"field": "url"})
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise CatalogError(CatalogCode.INVALID_BANNER, gettext("结束时间须晚于开始时间"), {"field": "ends_at"})


# --- shipping templates -----------------------------------------------------------------------------

MAX_SHIPPING_UNITS = 10**9  # a billion pieces or grams (a thousand tonnes): far above any parcel


def _shipping_error(message, field: str, **detail) -> CatalogError:
    return CatalogError(CatalogCode.INVALID_SHIPPING, message, {"field": field, **detail})


def validate_province_codes(codes, *, field: str = "provinces") -> list[str]:
    """A list of province division codes (fenxiao.addresses.regions), each named once; returns them
    in the dataset's order."""
    if not isinstance(codes, (list, tuple)):
        raise _shipping_error(gettext("地区须为省份代码的列表"), field)
    unknown = [code for code in codes if not regions.is_province_code(code)]
    if unknown:
        raise _shipping_error(
            gettext("未知的省份代码：%(codes)s") % {"codes": ", ".join(map(str, unknown))}, field, codes=unknown
        )
    if len(set(codes)) != len(codes):
        raise _shipping_error(gettext("同一省份不能重复选择"), field)
    order = {p.code: n for n, p in enumerate(regions.provinces())}
    return sorted(codes, key=order.__getitem__)


def _check_whole(value, field: str, *, minimum: int, maximum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise _shipping_error(gettext("%(field)s 必须是整数") % {"field": field}, field)
    if value < minimum:
        message = gettext("不能为负数") if minimum == 0 else gettext("至少为 %(n)s") % {"n": minimum}
        raise _shipping_error(message, field, minimum=minimum)
    if value > maximum:
        raise _shipping_error(gettext("数值过大"), field, maximum=maximum)


def validate_shipping_template_fields(*, charge_by: str, excluded_provinces) -> None:
    if charge_by not in ShippingTemplate.ChargeBy.values:
        raise _shipping_error(gettext("请选择计费方式"), "charge_by", choices=list(ShippingTemplate.ChargeBy.values))
    validate_province_codes(excluded_provinces, field="excluded_provinces")


def validate_shipping_rate(*, provinces, first_units: int, first_fen: int, additional_units: int, additional_fen: int) -> None:
    """One rate: known provinces, fees in whole fen and not negative, at least one unit charged by
    the first fee, and a block size for any additional fee."""
    validate_province_codes(provinces)
    _check_whole(first_units, "first_units", minimum=1, maximum=MAX_SHIPPING_UNITS)
    _check_whole(first_fen, "first_fen", minimum=0, maximum=MAX_PRICE_FEN)
    _check_whole(additional_units, "additional_units", minimum=0, maximum=MAX_SHIPPING_UNITS)
    _check_whole(additional_fen, "additional_fen", minimum=0, maximum=MAX_PRICE_FEN)
    if additional_fen > 0 and additional_units == 0:
        raise _shipping_error(gettext("设置了续费时，续件/续重须大于 0"), "additional_units")


def validate_shipping_rates(province_lists) -> None:
    """The rates of one template: exactly one base rate (no provinces), and no province in two rates."""
    seen: dict[str, int] = {}
    base = 0
    for index, provinces in enumerate(province_lists):
        if not provinces:
            base += 1
        for code in provinces:
            if code in seen:
                names = {p.code: p.name for p in regions.provinces()}
                raise _shipping_error(
                    gettext("%(province)s 出现在两条运费规则中") % {"province": names.get(code, code)},
                    "provinces",
                    code=code,
                    rates=[seen[code], index],
                )
            seen[code] = index
    if base != 1:
        raise _shipping_error(gettext("须有且只有一条不选地区的默认运费"), "rates", base_rates=base)


def validate_free_shipping_rule(*, provinces, min_amount_fen: int | None, min_count: int | None) -> None:
    """A free-shipping rule: known provinces and a threshold of amount, of pieces, or both."""
    validate_province_codes(provinces)
    if min_amount_fen is None and min_count is None:
        raise _shipping_error(gettext("请设置包邮的金额或件数"), "min_amount_fen")
    _check_whole(min_amount_fen, "min_amount_fen", minimum=0, maximum=MAX_PRICE_FEN, allow_none=True)
    _check_whole(min_count, "min_count", minimum=1, maximum=MAX_SHIPPING_UNITS, allow_none=True)


def clear_other_default_templates(template: ShippingTemplate) -> None:
    """Before `template` is saved as the default: no other template stays the default."""
    ShippingTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)


@transaction.atomic
def save_shipping_template(
    *,
    template: ShippingTemplate | None = None,
    name: str,
    charge_by: str = ShippingTemplate.ChargeBy.PIECE,
    is_default: bool = False,
    excluded_provinces=(),
    rates: Iterable[dict],
    free_rules: Iterable[dict] = (),
) -> ShippingTemplate:
    """Create a template (or replace an existing one's settings, rates and free rules). `rates` and
    `free_rules` are dicts of the ShippingRate / FreeShippingRule fields. A new default takes over
    from the previous one."""
    name = str(name or "").strip()
    if not name:
        raise _shipping_error(gettext("运费模板名称不能为空"), "name")
    same_name = ShippingTemplate.objects.filter(name=name)
    if template is not None and template.pk is not None:
        same_name = same_name.exclude(pk=template.pk)
    if same_name.exists():
        raise _shipping_error(gettext("运费模板名称已存在"), "name")
    excluded = list(excluded_provinces)
    validate_shipping_template_fields(charge_by=charge_by, excluded_provinces=excluded)
    rates, free_rules = [dict(rate) for rate in rates], [dict(rule) for rule in free_rules]
    for rate in rates:
        rate.setdefault("provinces", [])
        validate_shipping_rate(**rate)
    validate_shipping_rates([rate["provinces"] for rate in rates])
    for rule in free_rules:
        rule.setdefault("provinces", [])
        rule.setdefault("min_amount_fen", None)
        rule.setdefault("min_count", None)
        validate_free_shipping_rule(**rule)
    template = template or ShippingTemplate()
    if is_default:
        clear_other_default_templates(template)
    template.name, template.charge_by, template.is_default = name, charge_by, bool(is_default)
    template.excluded_provinces = validate_province_codes(excluded, field="excluded_provinces")
    template.save()
    template.rates.all().delete()
    template.free_rules.all().delete()
    ShippingRate.objects.bulk_create(
        ShippingRate(template=template, **{**rate, "provinces": validate_province_codes(rate["provinces"])}) for rate in rates
    )
    FreeShippingRule.objects.bulk_create(
        FreeShippingRule(template=template, **{**rule, "provinces": validate_province_codes(rule["provinces"])})
        for rule in free_rules
    )
    return template


@transaction.atomic
def assign_shipping_template(*, template: ShippingTemplate | None, products: Iterable[Product]) -> int:
    """Charge these products by `template` (None: by the default template). Returns how many changed."""
    ids = [product.pk for product in products]
    return Product.objects.filter(pk__in=ids).update(shipping_template=template)
