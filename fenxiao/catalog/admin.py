"""Operator admin for the catalog. Prices are read-only on the change forms: they move only
through the services, from each SKU's 调价 page. Stock belongs to the inventory app; its 库存调整
page is linked by URL name only, so the catalog never imports inventory."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.addresses import regions
from fenxiao.common.admin import ConsoleAdmin, ConsoleInline
from fenxiao.common.forms import YuanField
from fenxiao.common.money import yuan
from fenxiao.suppliers.models import Supplier

from . import costs, services
from .bundles import MAX_COMPONENT_QUANTITY, bundle_views, set_bundle_components
from .errors import CatalogError
from .images import reencode_image
from .models import (
    Banner,
    BundleComponent,
    Category,
    CommissionOverride,
    FreeShippingRule,
    Product,
    ProductImage,
    ShippingRate,
    ShippingTemplate,
    Sku,
    purchasable_sku_q,
)

PRICE_FIELDS = ("cost_fen", "retail_fen", "suggested_retail_fen", "control_fen")


def sku_service_links(sku: Sku) -> str:
    """Links to the two pages through which a SKU's prices and stock change (the second one is
    the inventory admin's page for the SKU's platform-warehouse stock)."""
    if not sku.pk:
        return ""
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
        reverse("admin:catalog_sku_prices", args=[sku.pk]),
        gettext("调价"),
        reverse("admin:inventory_stockrecord_sku", args=[sku.pk]),
        gettext("库存调整"),
        reverse("admin:catalog_sku_bundle", args=[sku.pk]),
        gettext("套装组成"),
    )


def _has_components(prefix: str = "") -> Exists:
    """A SKU (or, through `prefix`, a product's SKU) that is a 场景套装."""
    return Exists(BundleComponent.objects.filter(bundle_id=OuterRef(f"{prefix}pk")))


class BundleFilter(admin.SimpleListFilter):
    """套装: the bundle SKUs (场景套装) or the ordinary ones."""

    title = _("套装")
    parameter_name = "bundle"

    def lookups(self, request, model_admin):
        return (("yes", _("套装")), ("no", _("普通")))

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        if queryset.model is Product:
            has = Exists(BundleComponent.objects.filter(bundle__product_id=OuterRef("pk")))
        else:
            has = _has_components()
        return queryset.filter(has) if self.value() == "yes" else queryset.exclude(has)


BUNDLE_FORM_ROWS = 6


class BundleSkuChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.product.name} {obj.spec}（{obj.code}）¥{yuan(obj.retail_fen)}".replace("  ", " ")


class BundleForm(forms.Form):
    """What a SKU sold as a 场景套装 holds: up to six component SKUs on sale (no bundle among them)
    and how many of each one bundle contains; saved through `set_bundle_components`."""

    def __init__(self, *args, bundle: Sku, **kwargs):
        super().__init__(*args, **kwargs)
        choices = (
            Sku.objects.filter(purchasable_sku_q())
            .exclude(pk=bundle.pk)
            .exclude(_has_components())
            .select_related("product")
            .order_by("product__name", "spec", "id")
        )
        for n in range(1, BUNDLE_FORM_ROWS + 1):
            self.fields[f"part_{n}"] = BundleSkuChoice(
                queryset=choices, required=False, label=gettext("组成 SKU %(n)s") % {"n": n}
            )
            self.fields[f"quantity_{n}"] = forms.IntegerField(
                label=gettext("数量 %(n)s") % {"n": n}, required=False, min_value=1, max_value=MAX_COMPONENT_QUANTITY
            )

    def clean(self):
        data = super().clean()
        components = []
        for n in range(1, BUNDLE_FORM_ROWS + 1):
            part, quantity = data.get(f"part_{n}"), data.get(f"quantity_{n}")
            if part is None:
                continue
            components.append((part.pk, quantity or 1))
        if not components:
            raise ValidationError(_("请至少选择一个组成 SKU"), code="required")
        data["components"] = components
        return data


def bundle_summary(sku: Sku) -> str:
    """A bundle SKU's parts with their list prices, what they cost one by one and the saving."""
    view = bundle_views([sku]).get(sku.pk) if sku.pk else None
    if view is None:
        return gettext("不是套装")
    rows = format_html_join(
        "",
        "<li>{} {} × {}（¥{}）</li>",
        ((part.sku.product.name, part.sku.spec, part.quantity, yuan(part.sku.retail_fen)) for part in view.parts),
    )
    return format_html(
        '<ul class="bundle-parts">{}</ul><p>{}</p>',
        rows,
        gettext("单买合计 ¥%(parts)s，套装价 ¥%(price)s，比单买省 ¥%(saving)s")
        % {"parts": yuan(view.parts_fen), "price": yuan(view.price_fen), "saving": yuan(view.saving_fen)},
    )


class CommissionOverrideForm(forms.ModelForm):
    class Meta:
        model = CommissionOverride
        fields = ("category", "product", "depth", "mode", "rate_bp", "fixed_fen")

    def clean(self):
        data = super().clean()
        if (data.get("category") is None) == (data.get("product") is None):
            raise ValidationError(_("佣金覆盖必须且只能指定类目或商品之一"))
        try:
            services.validate_override(
                depth=data.get("depth"), mode=data.get("mode"), rate_bp=data.get("rate_bp"), fixed_fen=data.get("fixed_fen")
            )
        except CatalogError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


class CategoryOverrideInline(ConsoleInline):
    model = CommissionOverride
    form = CommissionOverrideForm
    fk_name = "category"
    fields = ("depth", "mode", "rate_bp", "fixed_fen")
    extra = 0
    max_num = 2


class ProductOverrideInline(CategoryOverrideInline):
    fk_name = "product"


@admin.register(Category)
class CategoryAdmin(ConsoleAdmin):
    list_display = ("name", "slug", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CategoryOverrideInline]


class CleanImageField(forms.ImageField):
    """An uploaded picture, checked and re-encoded without its metadata (catalog.images); a picture
    already stored is kept as it is."""

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            try:
                return reencode_image(value)
            except CatalogError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc
        return value


class ProductImageForm(forms.ModelForm):
    image = CleanImageField(label=_("图片"), help_text=_("JPG/PNG/WebP，不超过 5 MB；第一张为封面"))

    class Meta:
        model = ProductImage
        fields = ("image", "alt", "sort_order")


class ProductImageInline(ConsoleInline):
    """The gallery, in its display order: the first picture is the cover."""

    model = ProductImage
    form = ProductImageForm
    fields = ("preview", "image", "alt", "sort_order")
    readonly_fields = ("preview",)
    extra = 1

    @admin.display(description=_("预览"))
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return ""
        return format_html('<img src="{}" alt="" style="height:64px;width:64px;object-fit:cover">', obj.image.url)


class SkuInlineFormSet(forms.BaseInlineFormSet):
    """Refuses switching off (or deleting) the last sellable SKUs of a product that stays on the
    shelf; the product form itself checks the SKUs already saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        leaving = [
            form.instance.pk
            for form in self.forms
            if form.instance.pk and (form.cleaned_data.get("DELETE") or form.cleaned_data.get("is_active") is False)
        ]
        try:
            services.check_skus_leaving(self.instance, leaving)
        except CatalogError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class WeightField(forms.IntegerField):
    """A SKU's weight in grams; left empty it is 0 (weighed only where a template charges by weight)."""

    def __init__(self, **kwargs):
        kwargs.update(required=False, min_value=0)
        kwargs.setdefault("label", _("重量（克）"))
        kwargs.setdefault("help_text", _("按重量计费的运费模板使用"))
        super().__init__(**kwargs)

    def clean(self, value):
        cleaned = super().clean(value)
        return 0 if cleaned is None else cleaned


class SkuInlineForm(forms.ModelForm):
    weight_g = WeightField()

    class Meta:
        model = Sku
        fields = ("spec", "weight_g", "is_active")


class SkuInline(ConsoleInline):
    model = Sku
    form = SkuInlineForm
    formset = SkuInlineFormSet
    fields = ("code", "spec", "price_summary", "weight_g", "is_active", "manage_link")
    readonly_fields = ("code", "price_summary", "manage_link")
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # SKUs are added from the SKU page, where prices are validated

    @admin.display(description=_("价格"))
    def price_summary(self, obj):
        return gettext("成本 ¥%(cost)s / 零售 ¥%(retail)s / 控价 ¥%(control)s") % {
            "cost": yuan(obj.cost_fen),
            "retail": yuan(obj.retail_fen),
            "control": yuan(obj.control_fen),
        }

    @admin.display(description=_("操作"))
    def manage_link(self, obj):
        return sku_service_links(obj)


class SupplierChoiceMixin:
    """The `supplier` field offers the approved suppliers (and the one already set), and refuses any
    other the way the API does (`costs.assignable_supplier`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("supplier")
        if field is not None:
            current = getattr(self.instance, "supplier_id", None)
            approved = Supplier.objects.filter(status=Supplier.Status.APPROVED)
            field.queryset = (approved | Supplier.objects.filter(pk=current)) if current else approved

    def clean_supplier(self):
        supplier = self.cleaned_data.get("supplier")
        if supplier is not None and supplier.pk != getattr(self.instance, "supplier_id", None):
            try:
                costs.assignable_supplier(supplier.pk)
            except CatalogError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc
        return supplier


class ProductForm(SupplierChoiceMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = (
            "category",
            "name",
            "subtitle",
            "description",
            "role",
            "shipping_template",
            "supplier",
            "is_on_shelf",
            "sort_order",
            "ingredients",
            "shelf_life_days",
            "manufacturer",
            "manufacturer_address",
            "licence_number",
            "storage",
        )

    def clean(self):
        data = super().clean()
        if data.get("is_on_shelf"):
            try:
                services.ensure_sellable(self.instance)
            except CatalogError as exc:
                self.add_error("is_on_shelf", ValidationError(exc.message, code=exc.code))
        return data


@admin.register(Product)
class ProductAdmin(ConsoleAdmin):
    form = ProductForm
    list_display = ("name", "category", "role", "supplier", "is_on_shelf", "sku_count", "updated_at")
    list_filter = ("category", "role", "is_on_shelf", BundleFilter, "supplier")
    list_select_related = ("category", "supplier")
    search_fields = ("name", "subtitle")
    fieldsets = (
        (None, {"fields": ("category", "name", "subtitle", "description", "role", "sort_order", "is_on_shelf")}),
        (_("发货与运费"), {"fields": ("supplier", "shipping_template")}),
        (
            _("产品标签"),
            {
                "fields": ("ingredients", "shelf_life_days", "manufacturer", "manufacturer_address", "licence_number", "storage"),
                "description": _("只显示已填写的项目；生产日期取自批次"),
            },
        ),
    )
    inlines = [SkuInline, ProductImageInline, ProductOverrideInline]
    actions = ["put_on_shelf", "take_off_shelf"]

    @admin.display(description=_("SKU 数"))
    def sku_count(self, obj):
        return obj.skus.count()

    @admin.action(description=_("上架所选商品"))
    def put_on_shelf(self, request, queryset):
        done = 0
        for product in queryset:
            try:
                services.set_shelf(product=product, on_shelf=True)
                done += 1
            except CatalogError as exc:
                self.message_user(
                    request, gettext("%(name)s：%(message)s") % {"name": product.name, "message": exc.message}, messages.ERROR
                )
        self.message_user(request, ngettext("已上架 %(count)d 个商品", "已上架 %(count)d 个商品", done) % {"count": done})

    @admin.action(description=_("下架所选商品"))
    def take_off_shelf(self, request, queryset):
        for product in queryset:
            services.set_shelf(product=product, on_shelf=False)
        count = queryset.count()
        self.message_user(request, ngettext("已下架 %(count)d 个商品", "已下架 %(count)d 个商品", count) % {"count": count})


class SkuAddForm(SupplierChoiceMixin, forms.ModelForm):
    cost = YuanField(label=_("成本"))
    retail = YuanField(label=_("零售价"))
    suggested_retail = YuanField(label=_("建议零售价"), required=False, help_text=_("不填则等于零售价"))
    control = YuanField(label=_("控价"), required=False, help_text=_("分销商可展示的最低价；不填则等于建议零售价"))
    weight_g = WeightField()

    class Meta:
        model = Sku
        fields = ("product", "code", "spec", "weight_g", "supplier", "is_active")

    def clean(self):
        data = super().clean()
        if any(self.errors):
            return data
        suggested = data.get("suggested_retail") or data.get("retail")
        control = data.get("control") or suggested
        try:
            services.validate_prices(
                cost_fen=data["cost"], retail_fen=data["retail"], suggested_retail_fen=suggested, control_fen=control
            )
        except CatalogError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        data["suggested_retail"], data["control"] = suggested, control
        return data


class SkuChangeForm(SupplierChoiceMixin, forms.ModelForm):
    weight_g = WeightField()

    class Meta:
        model = Sku
        fields = ("spec", "weight_g", "supplier", "is_active")

    def clean(self):
        data = super().clean()
        if "is_active" in data:
            try:
                services.check_sku_active_change(self.instance, data["is_active"])
            except CatalogError as exc:
                self.add_error("is_active", ValidationError(exc.message, code=exc.code))
        return data


class PriceForm(forms.Form):
    cost = YuanField(label=_("成本"))
    retail = YuanField(label=_("零售价"))
    suggested_retail = YuanField(label=_("建议零售价"))
    control = YuanField(label=_("控价"))


@admin.register(Sku)
class SkuAdmin(ConsoleAdmin):
    list_display = ("code", "product", "spec", "cost", "retail", "suggested_retail", "control", "is_active")
    list_filter = ("is_active", "product__category", BundleFilter)
    search_fields = ("code", "product__name", "spec")
    list_select_related = ("product",)
    readonly_fields = (*PRICE_FIELDS, "bundle", "manage_link")

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = SkuAddForm if obj is None else SkuChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return (
                "product",
                "code",
                "spec",
                "cost",
                "retail",
                "suggested_retail",
                "control",
                "weight_g",
                "supplier",
                "is_active",
            )
        return ("product", "code", "spec", "weight_g", "supplier", "is_active", *PRICE_FIELDS, "bundle", "manage_link")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.readonly_fields, "product", "code")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["spec", "weight_g", "supplier", "is_active"])
            return
        data = form.cleaned_data
        created = services.create_sku(
            product=data["product"],
            code=data["code"],
            spec=data.get("spec", ""),
            cost_fen=data["cost"],
            retail_fen=data["retail"],
            suggested_retail_fen=data["suggested_retail"],
            control_fen=data["control"],
            weight_g=data.get("weight_g") or 0,
        )
        if data.get("supplier") is not None:
            costs.set_sku_supplier(sku=created, supplier_id=data["supplier"].pk)
        obj.pk = created.pk
        if not data.get("is_active", True):
            Sku.objects.filter(pk=created.pk).update(is_active=False)

    @admin.display(description=_("成本"), ordering="cost_fen")
    def cost(self, obj):
        return f"¥{yuan(obj.cost_fen)}"

    @admin.display(description=_("零售价"), ordering="retail_fen")
    def retail(self, obj):
        return f"¥{yuan(obj.retail_fen)}"

    @admin.display(description=_("建议零售价"))
    def suggested_retail(self, obj):
        return f"¥{yuan(obj.suggested_retail_fen)}"

    @admin.display(description=_("控价"))
    def control(self, obj):
        return f"¥{yuan(obj.control_fen)}"

    @admin.display(description=_("操作"))
    def manage_link(self, obj):
        return sku_service_links(obj)

    @admin.display(description=_("套装组成"))
    def bundle(self, obj):
        return bundle_summary(obj)

    def get_urls(self):
        own = [
            path("<int:sku_id>/prices/", self.admin_site.admin_view(self.prices_view), name="catalog_sku_prices"),
            path("<int:sku_id>/bundle/", self.admin_site.admin_view(self.bundle_view), name="catalog_sku_bundle"),
        ]
        return own + super().get_urls()

    def _page(self, request, sku, form, title):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": sku,
            "title": title,
            "form": form,
        }
        return TemplateResponse(request, "admin/catalog/sku/service_form.html", context)

    def prices_view(self, request, sku_id):
        sku = get_object_or_404(Sku, pk=sku_id)
        if not self.has_change_permission(request, sku):
            return redirect("admin:index")
        initial = {
            "cost": sku.cost_fen,
            "retail": sku.retail_fen,
            "suggested_retail": sku.suggested_retail_fen,
            "control": sku.control_fen,
        }
        form = PriceForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.change_sku_prices(
                    sku=sku,
                    cost_fen=d["cost"],
                    retail_fen=d["retail"],
                    suggested_retail_fen=d["suggested_retail"],
                    control_fen=d["control"],
                )
            except CatalogError as exc:
                form.add_error(None, exc.message)
            else:
                self.log_change(
                    request, sku, f"调价：零售 ¥{yuan(d['retail'])}，控价 ¥{yuan(d['control'])}，成本 ¥{yuan(d['cost'])}"
                )
                self.message_user(request, gettext("价格已更新"))
                return redirect("admin:catalog_sku_change", sku.pk)
        return self._page(request, sku, form, gettext("调价：%(sku)s") % {"sku": sku})

    def bundle_view(self, request, sku_id):
        """Make a SKU a 场景套装 or change what it holds: its price stays its retail price (调价)."""
        sku = get_object_or_404(Sku.objects.select_related("product"), pk=sku_id)
        if not self.has_change_permission(request, sku):
            return redirect("admin:index")
        current = list(BundleComponent.objects.filter(bundle=sku).order_by("position", "id"))
        initial = {}
        for n, row in enumerate(current[:BUNDLE_FORM_ROWS], start=1):
            initial[f"part_{n}"], initial[f"quantity_{n}"] = row.component_id, row.quantity
        form = BundleForm(request.POST if request.method == "POST" else None, initial=initial, bundle=sku)
        if request.method == "POST" and form.is_valid():
            try:
                set_bundle_components(sku=sku, components=form.cleaned_data["components"], actor=request.user)
            except CatalogError as exc:
                form.add_error(None, exc.message)
            else:
                parts = "、".join(f"#{pk} × {quantity}" for pk, quantity in form.cleaned_data["components"])
                self.log_change(request, sku, f"套装组成：{parts}")
                self.message_user(request, gettext("套装组成已保存"))
                return redirect("admin:catalog_sku_change", sku.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": sku,
            "title": gettext("套装组成：%(sku)s") % {"sku": sku},
            "form": form,
            "summary": bundle_summary(sku),
        }
        return TemplateResponse(request, "admin/catalog/sku/bundle_form.html", context)


@admin.register(CommissionOverride)
class CommissionOverrideAdmin(ConsoleAdmin):
    form = CommissionOverrideForm
    list_display = ("__str__", "category", "product", "depth", "mode", "rate_bp", "fixed_fen")
    list_filter = ("depth", "mode")
    raw_id_fields = ("product",)


class BannerForm(forms.ModelForm):
    image = CleanImageField(label=_("图片"), help_text=_("建议 750×300，JPG/PNG/WebP，不超过 5 MB"))

    class Meta:
        model = Banner
        fields = ("title", "image", "target", "product", "category", "url", "sort_order", "is_active", "starts_at", "ends_at")

    def clean(self):
        data = super().clean()
        target = data.get("target")
        # Only the link of the chosen kind is kept.
        if target != Banner.Target.PRODUCT:
            data["product"] = None
        if target != Banner.Target.CATEGORY:
            data["category"] = None
        if target != Banner.Target.URL:
            data["url"] = ""
        try:
            services.validate_banner(
                target=target,
                product=data.get("product"),
                category=data.get("category"),
                url=(data.get("url") or "").strip(),
                starts_at=data.get("starts_at"),
                ends_at=data.get("ends_at"),
            )
        except CatalogError as exc:
            field = (exc.detail or {}).get("field")
            self.add_error(field if field in self.fields else None, ValidationError(exc.message, code=exc.code))
        return data


@admin.register(Banner)
class BannerAdmin(ConsoleAdmin):
    form = BannerForm
    list_display = ("title", "preview", "target", "sort_order", "is_active", "starts_at", "ends_at")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active", "target")
    autocomplete_fields = ("product",)
    search_fields = ("title",)

    @admin.display(description=_("预览"))
    def preview(self, obj):
        if not obj.image:
            return ""
        return format_html('<img src="{}" alt="" style="height:40px;width:100px;object-fit:cover">', obj.image.url)


# --- shipping templates -------------------------------------------------------------------------


def province_choices() -> list[tuple[str, str]]:
    return [(division.code, division.name) for division in regions.provinces()]


class ProvinceField(forms.MultipleChoiceField):
    """Provinces chosen by name, stored as their division codes (in the dataset's order)."""

    def __init__(self, *, compact: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        widget = forms.SelectMultiple(attrs={"size": 6}) if compact else forms.CheckboxSelectMultiple
        super().__init__(choices=province_choices, widget=widget, **kwargs)

    def clean(self, value):
        codes = super().clean(value)
        order = {code: n for n, (code, _name) in enumerate(province_choices())}
        return sorted(codes, key=order.__getitem__)


def province_names(codes) -> str:
    names = dict(province_choices())
    return "、".join(names.get(code, code) for code in codes or ())


class ShippingTemplateForm(forms.ModelForm):
    excluded_provinces = ProvinceField(label=_("不配送地区"), help_text=_("所选地区的买家无法下单这些商品"))

    class Meta:
        model = ShippingTemplate
        fields = ("name", "charge_by", "is_default", "excluded_provinces")


class ShippingRateForm(forms.ModelForm):
    provinces = ProvinceField(compact=True, label=_("地区"), help_text=_("不选即为默认运费（其余所有地区）"))

    class Meta:
        model = ShippingRate
        fields = ("provinces", "first_units", "first_fen", "additional_units", "additional_fen")


class ShippingRateFormSet(forms.BaseInlineFormSet):
    """The rates of one template: one base rate, and no province in two rates."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data.get("provinces") or []
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.validate_shipping_rates(kept)
        except CatalogError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class ShippingRateInline(ConsoleInline):
    model = ShippingRate
    form = ShippingRateForm
    formset = ShippingRateFormSet
    fields = ("provinces", "first_units", "first_fen", "additional_units", "additional_fen")
    extra = 1


class FreeShippingRuleForm(forms.ModelForm):
    provinces = ProvinceField(compact=True, label=_("地区"), help_text=_("不选即为所有地区"))

    class Meta:
        model = FreeShippingRule
        fields = ("provinces", "min_amount_fen", "min_count")


class FreeShippingRuleInline(ConsoleInline):
    model = FreeShippingRule
    form = FreeShippingRuleForm
    fields = ("provinces", "min_amount_fen", "min_count")
    extra = 0


@admin.register(ShippingTemplate)
class ShippingTemplateAdmin(ConsoleAdmin):
    form = ShippingTemplateForm
    list_display = ("name", "charge_by", "is_default", "excluded", "product_count", "updated_at")
    list_filter = ("charge_by", "is_default")
    search_fields = ("name",)
    inlines = [ShippingRateInline, FreeShippingRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_total=Count("products"))

    @admin.display(description=_("商品数"), ordering="product_total")
    def product_count(self, obj):
        return obj.product_total

    @admin.display(description=_("不配送地区"))
    def excluded(self, obj):
        return province_names(obj.excluded_provinces) or "-"

    def save_model(self, request, obj, form, change):
        if obj.is_default:
            services.clear_other_default_templates(obj)
        super().save_model(request, obj, form, change)


from . import admin_costs  # noqa: E402, F401
