"""Catalog: categories, products, SKUs with their prices in fen, images, and the commission
overrides a category or a product may set for each commission level. Stock lives in the inventory
app, which depends on this one (never the other way round); the shop app joins both into what a buyer
sees (price, availability, whether it can be bought)."""

from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from fenxiao.suppliers.models import Supplier

from .content import clean_description

MAX_COMMISSION_DEPTH = 2  # direct + indirect; the legal line, see DOMAIN.md
MAX_PRICE_FEN = 10**10  # ¥100,000,000 for one unit: far above any real price, far below overflowing a total


def sellable_sku_q(prefix: str = "") -> Q:
    """What makes a SKU sellable: active, with a retail price above zero. Stock does not count (a
    sellable SKU without stock shows as sold out). `prefix` is the path from the queried model,
    e.g. "skus__" from Product."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}retail_fen__gt": 0})


def supplier_ready_q(prefix: str = "") -> Q:
    """The SKU's fulfilment route can take orders: the platform warehouse (no supplier on the SKU or
    its product) always can, a supplier only while approved (not applied, rejected or suspended). The
    route is the SKU's own supplier, else its product's (`Sku.fulfilment_supplier_id`)."""
    approved = Supplier.Status.APPROVED
    return (
        Q(**{f"{prefix}supplier__isnull": True, f"{prefix}product__supplier__isnull": True})
        | Q(**{f"{prefix}supplier__status": approved})
        | Q(**{f"{prefix}supplier__isnull": True, f"{prefix}product__supplier__status": approved})
    )


def offered_sku_q(prefix: str = "") -> Q:
    """A sellable SKU whose fulfilment route can take orders: what the shop lists and what a buyer may
    order of a product on the shelf (see `purchasable_sku_q`)."""
    return sellable_sku_q(prefix) & supplier_ready_q(prefix)


def purchasable_sku_q(prefix: str = "") -> Q:
    """What a buyer may put in a cart and order: a sellable SKU of a product on the shelf in an active
    category, whose supplier (if it has one) is approved. The shop, the cart, checkout and the order
    all ask this one rule (stock is checked when it is reserved)."""
    return offered_sku_q(prefix) & Q(**{f"{prefix}product__is_on_shelf": True, f"{prefix}product__category__is_active": True})


class Unpurchasable(StrEnum):
    """Why a buyer may not buy something: the reasons the purchase-info read gives."""

    UNKNOWN_SKU = "unknown_sku"
    SKU_INACTIVE = "sku_inactive"
    NO_PRICE = "no_price"
    OFF_SHELF = "off_shelf"
    CATEGORY_INACTIVE = "category_inactive"
    NO_SELLABLE_SKU = "no_sellable_sku"
    SUPPLIER_UNAVAILABLE = "supplier_unavailable"


def product_unpurchasable_reason(product) -> Unpurchasable | None:
    """The product half of `purchasable_sku_q` for a product loaded with its category: None when
    its sellable SKUs may be bought."""
    if not product.is_on_shelf:
        return Unpurchasable.OFF_SHELF
    if not product.category.is_active:
        return Unpurchasable.CATEGORY_INACTIVE
    return None


def unpurchasable_reason(sku) -> Unpurchasable | None:
    """`purchasable_sku_q` for a SKU loaded with its product and category: None when a buyer may put
    it in a cart and order it, otherwise the first reason why not."""
    if not sku.is_active:
        return Unpurchasable.SKU_INACTIVE
    if sku.retail_fen <= 0:
        return Unpurchasable.NO_PRICE
    reason = product_unpurchasable_reason(sku.product)
    if reason is None and not supplier_ready(sku):
        return Unpurchasable.SUPPLIER_UNAVAILABLE
    return reason


def supplier_ready(sku) -> bool:
    """`supplier_ready_q` for a SKU loaded with its product (and, when they have one, their suppliers:
    otherwise one query reads the supplier)."""
    if sku.supplier_id is not None:
        return sku.supplier.status == Supplier.Status.APPROVED
    if sku.product.supplier_id is not None:
        return sku.product.supplier.status == Supplier.Status.APPROVED
    return True


def is_purchasable(sku) -> bool:
    """`purchasable_sku_q` for a SKU already loaded with its product and category."""
    return unpurchasable_reason(sku) is None


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=40, unique=True)
    slug = models.SlugField(_("标识"), max_length=40, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("类目")
        verbose_name_plural = _("类目")

    def __str__(self) -> str:
        return self.name


class ShippingTemplate(models.Model):
    """How the products that use it are charged for shipping (运费模板): by piece or by weight, a rate
    per group of provinces (the rate without provinces is the base rate for every other province),
    free-shipping rules and the provinces not delivered to. The default template applies to products
    without one of their own. The charge of an order is worked out in catalog.shipping."""

    class ChargeBy(models.TextChoices):
        PIECE = "piece", _("按件")
        WEIGHT = "weight", _("按重量")

    name = models.CharField(_("名称"), max_length=40, unique=True)
    charge_by = models.CharField(_("计费方式"), max_length=10, choices=ChargeBy.choices, default=ChargeBy.PIECE)
    is_default = models.BooleanField(_("默认模板"), default=False, help_text=_("未指定运费模板的商品按默认模板计算运费"))
    excluded_provinces = models.JSONField(_("不配送地区"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("运费模板")
        verbose_name_plural = _("运费模板")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="shipping_one_default_template"),
        ]

    def __str__(self) -> str:
        return self.name

    def validate_constraints(self, exclude=None):
        # Saving a template as the default takes the mark from the previous one
        # (services.clear_other_default_templates): a form does not refuse it. The database still does
        # for any write that skips the services.
        super().validate_constraints(exclude={*(exclude or ()), "is_default"})

    def clean(self):
        from .services import validate_shipping_template_fields

        _raise_as_validation_error(
            validate_shipping_template_fields, charge_by=self.charge_by, excluded_provinces=self.excluded_provinces
        )


class ShippingRate(models.Model):
    """One rate of a template for a group of provinces: `first_fen` for the first `first_units` units
    (pieces, or grams when the template charges by weight), then `additional_fen` for each started
    block of `additional_units`. An empty province list is the template's base rate."""

    template = models.ForeignKey(ShippingTemplate, on_delete=models.CASCADE, related_name="rates", verbose_name=_("运费模板"))
    provinces = models.JSONField(_("地区"), default=list, blank=True, help_text=_("不选即为默认运费（其余所有地区）"))
    first_units = models.PositiveIntegerField(_("首件/首重"), default=1, help_text=_("件数，按重量时为克"))
    first_fen = models.BigIntegerField(_("首费"), default=0)
    additional_units = models.PositiveIntegerField(_("续件/续重"), default=1, help_text=_("件数，按重量时为克"))
    additional_fen = models.BigIntegerField(_("续费"), default=0)

    class Meta:
        ordering = ["template_id", "id"]
        verbose_name = _("运费")
        verbose_name_plural = _("运费")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_units__gte=1, first_fen__gte=0, additional_fen__gte=0)
                & (Q(additional_fen=0) | Q(additional_units__gte=1)),
                name="shipping_rate_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}: {','.join(self.provinces) or '*'}"

    def clean(self):
        from .services import validate_shipping_rate

        _raise_as_validation_error(
            validate_shipping_rate,
            provinces=self.provinces,
            first_units=self.first_units,
            first_fen=self.first_fen,
            additional_units=self.additional_units,
            additional_fen=self.additional_fen,
        )


class FreeShippingRule(models.Model):
    """The items of a template ship free to these provinces (empty: everywhere) once the template's
    goods amount after discounts reaches `min_amount_fen`, or its piece count reaches `min_count`."""

    template = models.ForeignKey(
        ShippingTemplate, on_delete=models.CASCADE, related_name="free_rules", verbose_name=_("运费模板")
    )
    provinces = models.JSONField(_("地区"), default=list, blank=True, help_text=_("不选即为所有地区"))
    min_amount_fen = models.BigIntegerField(_("满金额包邮"), null=True, blank=True)
    min_count = models.PositiveIntegerField(_("满件数包邮"), null=True, blank=True)

    class Meta:
        ordering = ["template_id", "id"]
        verbose_name = _("包邮条件")
        verbose_name_plural = _("包邮条件")
        constraints = [
            models.CheckConstraint(
                condition=(Q(min_amount_fen__isnull=False) | Q(min_count__isnull=False))
                & (Q(min_amount_fen__isnull=True) | Q(min_amount_fen__gte=0)),
                name="free_shipping_has_threshold",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}: {','.join(self.provinces) or '*'}"

    def clean(self):
        from .services import validate_free_shipping_rule

        _raise_as_validation_error(
            validate_free_shipping_rule, provinces=self.provinces, min_amount_fen=self.min_amount_fen, min_count=self.min_count
        )


def _raise_as_validation_error(check, **values) -> None:
    """Runs a catalog.services check for a model's clean(): its CatalogError becomes a ValidationError
    on the field it names (or the whole record)."""
    from .errors import CatalogError

    try:
        check(**values)
    except CatalogError as exc:
        field = (exc.detail or {}).get("field")
        error = ValidationError(exc.message, code=exc.code)
        raise ValidationError({field: error} if field in values else error) from exc


class Product(models.Model):
    class Role(models.TextChoices):
        NORMAL = "normal", _("常规款")
        TRAFFIC = "traffic", _("引流款")
        PROFIT = "profit", _("利润款")
        BUNDLE = "bundle", _("场景套装")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("类目"))
    name = models.CharField(_("名称"), max_length=80)
    subtitle = models.CharField(_("卖点"), max_length=120, blank=True)
    description = models.TextField(
        _("详情"), blank=True, help_text=_("支持段落、加粗、列表和本站上传的图片；其余标签与脚本会被去除")
    )
    role = models.CharField(_("商品定位"), max_length=10, choices=Role.choices, default=Role.NORMAL)
    shipping_template = models.ForeignKey(
        ShippingTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("运费模板"),
        help_text=_("不选则按默认运费模板计算"),
    )
    is_on_shelf = models.BooleanField(_("上架"), default=False, db_index=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    # Fulfilment: the platform warehouse (blank) or one supplier who ships it (一件代发), at its cost
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("供货商"),
        help_text=_("不选则由平台仓发货；选择供应商则由其代发，按成本价结算"),
    )
    # Label data (产品标签), shown on the product page; the production date comes from the batch
    ingredients = models.TextField(_("配料/成分"), blank=True)
    shelf_life_days = models.PositiveIntegerField(_("保质期（天）"), null=True, blank=True)
    manufacturer = models.CharField(_("生产商"), max_length=120, blank=True)
    manufacturer_address = models.CharField(_("生产地址"), max_length=200, blank=True)
    licence_number = models.CharField(_("生产许可证编号"), max_length=40, blank=True, help_text=_("如 SC 开头的食品生产许可证号"))
    storage = models.CharField(_("贮存条件"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        indexes = [models.Index(fields=["is_on_shelf", "category"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Whatever path writes a product (console, API, services, seed), only the sanitised
        # description is stored: the product page shows it as it is (see content.py).
        self.description = clean_description(self.description)
        super().save(*args, **kwargs)


class ProductImage(models.Model):
    """One picture of a product's gallery, in `sort_order` (then upload) order; the first is the
    cover shown on cards, in search results and on share posters."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("商品"))
    image = models.ImageField(_("图片"), upload_to="products/%Y/%m/")
    alt = models.CharField(_("说明"), max_length=80, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")

    def __str__(self) -> str:
        return self.alt or self.image.name


class Sku(models.Model):
    """One sellable variant. Prices in fen, changed only through catalog.services."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("商品"))
    code = models.CharField(_("SKU 编码"), max_length=40, unique=True)
    spec = models.CharField(_("规格"), max_length=60, blank=True)
    cost_fen = models.BigIntegerField(_("成本"))
    retail_fen = models.BigIntegerField(_("零售价"))
    suggested_retail_fen = models.BigIntegerField(_("建议零售价"))
    control_fen = models.BigIntegerField(_("控价"), help_text=_("分销商可展示的最低价"))
    weight_g = models.PositiveIntegerField(_("重量（克）"), default=0, help_text=_("按重量计费的运费模板使用"))
    is_active = models.BooleanField(_("启用"), default=True)
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="skus",
        verbose_name=_("供货商"),
        help_text=_("不选则随商品的供货商（或平台仓）"),
    )

    class Meta:
        ordering = ["product_id", "id"]
        verbose_name = "SKU"
        verbose_name_plural = "SKU"
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_fen__gte=0, retail_fen__gt=0, suggested_retail_fen__gt=0, control_fen__gt=0),
                name="sku_prices_positive",
            ),
            models.CheckConstraint(
                condition=Q(control_fen__lte=models.F("suggested_retail_fen")), name="sku_control_le_suggested"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.spec}".strip()

    @property
    def fulfilment_supplier_id(self) -> int | None:
        """Who ships this SKU: its own supplier, else its product's, else None (the platform
        warehouse). The one place the route of a SKU is decided (reads `product`)."""
        return self.supplier_id or self.product.supplier_id


class BundleComponent(models.Model):
    """场景套装: a SKU sold as a bundle is made of component SKUs in fixed quantities, at its own price
    (the bundle SKU's retail price). The bundle holds no stock of its own: buying it reserves its
    components (all or none), and an order keeps one line per component with its share of what was
    paid, so refunds and commission work per component."""

    bundle = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="bundle_components", verbose_name=_("套装 SKU"))
    component = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+", verbose_name=_("组成 SKU"))
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["bundle_id", "position", "id"]
        verbose_name = _("套装组成")
        verbose_name_plural = _("套装组成")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundle_component_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bundle_component_quantity_positive"),
            models.CheckConstraint(condition=~Q(bundle=F("component")), name="bundle_not_its_own_component"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id} ⊃ {self.component_id} × {self.quantity}"


class CommissionOverride(models.Model):
    """A category's or a product's own commission for one commission level (1 direct, 2 indirect):
    a rate in basis points of the amount paid, or a fixed amount in fen per unit. A product's override
    wins over its category's, which wins over the earner's level rate."""

    class Mode(models.TextChoices):
        RATE = "rate", _("按比例")
        FIXED = "fixed", _("固定金额")

    class Depth(models.IntegerChoices):
        DIRECT = 1, _("一级（直推）")
        INDIRECT = 2, _("二级（间推）")

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="commission_overrides", verbose_name=_("类目")
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="commission_overrides", verbose_name=_("商品")
    )
    depth = models.PositiveSmallIntegerField(_("佣金层级"), choices=Depth.choices)
    mode = models.CharField(_("方式"), max_length=5, choices=Mode.choices)
    rate_bp = models.PositiveIntegerField(_("比例"), null=True, blank=True)
    fixed_fen = models.BigIntegerField(_("每件固定金额"), null=True, blank=True)

    class Meta:
        verbose_name = _("佣金覆盖")
        verbose_name_plural = _("佣金覆盖")
        constraints = [
            models.CheckConstraint(
                condition=(Q(category__isnull=False, product__isnull=True) | Q(category__isnull=True, product__isnull=False)),
                name="override_exactly_one_scope",
            ),
            models.CheckConstraint(condition=Q(depth__gte=1, depth__lte=MAX_COMMISSION_DEPTH), name="override_depth_at_most_two"),
            models.CheckConstraint(
                condition=(
                    Q(mode="rate", rate_bp__isnull=False, rate_bp__lte=10000, fixed_fen__isnull=True)
                    | Q(mode="fixed", fixed_fen__isnull=False, fixed_fen__gte=0, rate_bp__isnull=True)
                ),
                name="override_value_matches_mode",
            ),
            models.UniqueConstraint(
                fields=["category", "depth"], condition=Q(category__isnull=False), name="uniq_category_override_depth"
            ),
            models.UniqueConstraint(
                fields=["product", "depth"], condition=Q(product__isnull=False), name="uniq_product_override_depth"
            ),
        ]

    def __str__(self) -> str:
        scope = self.product or self.category
        value = f"{self.rate_bp}bp" if self.mode == self.Mode.RATE else f"{self.fixed_fen}fen"
        return f"{scope} L{self.depth} {value}"


class Banner(models.Model):
    """An operator's picture at the top of the home page, linking to a product, a category or a
    page of the site, shown while active and inside its dates (either end may be open)."""

    class Target(models.TextChoices):
        PRODUCT = "product", _("商品")
        CATEGORY = "category", _("类目")
        URL = "url", _("站内链接")

    title = models.CharField(_("标题"), max_length=40, help_text=_("读屏软件朗读的图片说明"))
    image = models.ImageField(_("图片"), upload_to="banners/%Y/%m/", help_text=_("建议 750×300，JPG/PNG/WebP，不超过 5 MB"))
    target = models.CharField(_("链接到"), max_length=10, choices=Target.choices, default=Target.PRODUCT)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="banners", verbose_name=_("商品")
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="banners", verbose_name=_("类目")
    )
    url = models.CharField(_("站内链接"), max_length=200, blank=True, help_text=_("以 / 开头的本站路径，例如 /search/?q=礼盒"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    starts_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("首页轮播图")
        verbose_name_plural = _("首页轮播图")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="product", product__isnull=False, category__isnull=True, url="")
                    | Q(target="category", product__isnull=True, category__isnull=False, url="")
                    | (Q(target="url", product__isnull=True, category__isnull=True) & ~Q(url=""))
                ),
                name="banner_target_matches_link",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="banner_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "sort_order"], name="banner_active_order")]

    def __str__(self) -> str:
        return self.title


class SkuCostChange(models.Model):
    """A cost price (成本价) that takes effect at a date: a supplier's new price, or the operator's. The
    scheduled job `apply_cost_changes` sets the SKU's cost when it is due; orders placed before keep the
    cost they recorded (`OrderLine.unit_cost_fen`)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待生效")
        APPLIED = "applied", _("已生效")
        CANCELLED = "cancelled", _("已取消")

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="cost_changes", verbose_name=_("SKU"))
    cost_fen = models.BigIntegerField(_("新成本价"))
    previous_cost_fen = models.BigIntegerField(_("原成本价"), null=True, blank=True, help_text=_("生效时的原成本价"))
    effective_at = models.DateTimeField(_("生效时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提交人"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cost_changes",
        verbose_name=_("供应商"),
        help_text=_("由供应商提交时记录"),
    )
    applied_at = models.DateTimeField(_("生效于"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_at", "-id"]
        verbose_name = _("成本价变更")
        verbose_name_plural = _("成本价变更")
        constraints = [models.CheckConstraint(condition=Q(cost_fen__gte=0), name="sku_cost_change_not_negative")]
        indexes = [models.Index(fields=["status", "effective_at"], name="sku_cost_change_due")]

    def __str__(self) -> str:
        return f"{self.sku_id} → {self.cost_fen}"
