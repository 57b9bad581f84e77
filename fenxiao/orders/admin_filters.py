"""The order list's filters: distributor, buyer, product, province, payment provider and what the
platform warehouse has to ship."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.addresses import regions
from fenxiao.catalog.models import Product
from fenxiao.common.admin_filters import RelatedIdFilter
from fenxiao.payments.models import Provider

from . import selectors
from .models import OrderLine

MAX_PRODUCT_CHOICES = 30


class DistributorFilter(RelatedIdFilter):
    """A distributor's orders come from its page (`?distributor=<id>`); the sidebar offers with / without."""

    title = _("归属分销商")
    parameter_name = "distributor"
    field_path = "distributor"
    any_label = _("分销订单")
    none_label = _("自然流量（无分销商）")


class BuyerFilter(RelatedIdFilter):
    """One customer's orders, from the customer's page (`?buyer=<user id>`); shown only while in use."""

    title = _("买家")
    parameter_name = "buyer"
    field_path = "user"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"#{value}")] if value and value.isdigit() else []


class ProductFilter(admin.SimpleListFilter):
    """Orders with a line of this product (`?product=<id>`); the sidebar lists the newest products."""

    title = _("商品")
    parameter_name = "product"

    def lookups(self, request, model_admin):
        products = list(Product.objects.order_by("-id").values_list("pk", "name")[:MAX_PRODUCT_CHOICES])
        value = self.value()
        if value and value.isdigit() and all(str(pk) != value for pk, _name in products):
            products += list(Product.objects.filter(pk=int(value)).values_list("pk", "name"))
        return [(str(pk), name) for pk, name in products]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(pk__in=OrderLine.objects.filter(product_id=int(value)).values("order_id"))


class ProvinceFilter(admin.SimpleListFilter):
    title = _("省份")
    parameter_name = "province"

    def lookups(self, request, model_admin):
        return [(division.name, division.name) for division in regions.provinces()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(province=value) if value else queryset


class PaymentProviderFilter(admin.SimpleListFilter):
    title = _("支付方式")
    parameter_name = "payment_provider"

    def lookups(self, request, model_admin):
        return Provider.choices

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(payment_provider=value) if value else queryset


class WarehouseFilter(admin.SimpleListFilter):
    """What the platform warehouse has to ship (`?warehouse=to_ship`) and what of it is overdue
    (`?warehouse=overdue`): exactly the orders the console's "待发货" to-do counts, from the same
    selectors."""

    title = _("仓库发货")
    parameter_name = "warehouse"

    def lookups(self, request, model_admin):
        return [("to_ship", _("仓库待发货")), ("overdue", _("仓库发货超时"))]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "to_ship":
            return queryset.filter(pk__in=selectors.warehouse_backlog().values("pk"))
        if value == "overdue":
            return queryset.filter(pk__in=selectors.warehouse_overdue().values("pk"))
        return queryset.none()
