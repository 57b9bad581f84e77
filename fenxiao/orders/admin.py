"""Operator admin for orders and after-sales. Nothing here edits money or status directly: shipping,
cancelling and after-sales decisions call the services, which write the event rows."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline
from fenxiao.common.admin_filters import range_filter
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.promotions.stages import PriceStage

from . import services
from .admin_filters import BuyerFilter, DistributorFilter, PaymentProviderFilter, ProductFilter, ProvinceFilter, WarehouseFilter
from .models import AfterSale, AfterSaleEvent, AfterSalePhoto, Order, OrderEvent, OrderLine, Shipment
from .selectors import is_overdue


def _stage_label(stage: str) -> str:
    """The name of a price stage (限时折扣, 满减 …); empty for a discount kept before the stages."""
    return str(PriceStage(stage).label) if stage in PriceStage.values else ""


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "product_name",
        "sku_spec",
        "bundle",
        "quantity",
        "unit_price_fen",
        "line_total_fen",
        "discount_fen",
        "paid_fen",
        "refunded_fen",
    )
    readonly_fields = fields

    @admin.display(description=_("所属套装"))
    def bundle(self, obj):
        """The 场景套装 a component line belongs to ("name × bundles bought"); the lines of one bundle
        follow one another and each carries its share of the bundle's price."""
        if obj.bundle_sku_id is None:
            return "—"
        return gettext("套装 %(name)s × %(n)s") % {"name": obj.bundle_name, "n": obj.bundle_quantity}


class ShipmentInline(ReadOnlyInline):
    """The order's parcels, one per shipper (platform warehouse, each supplier)."""

    model = Shipment
    fields = (
        "route",
        "supplier",
        "status",
        "carrier",
        "tracking_company",
        "tracking_number",
        "ship_by",
        "overdue",
        "shipped_at",
        "received_at",
        "completed_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("supplier", "carrier")

    @admin.display(description=_("超时未发"), boolean=True)
    def overdue(self, obj):
        return is_overdue(obj)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class ShipForm(forms.Form):
    tracking_company = forms.CharField(label=_("快递公司"), max_length=32)
    tracking_number = forms.CharField(label=_("快递单号"), max_length=40)


class ReasonActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


@admin.register(Order)
class OrderAdmin(ConsoleAdmin):
    action_form = ReasonActionForm
    # Eight narrow columns fit 1440 px; amounts, refunds, dates and the address are on the change page.
    list_display = ("number", "status", "paid", "buyer_phone", "province", "distributor", "created_at", "ship_link")
    list_filter = (
        "status",
        WarehouseFilter,
        range_filter("created_at", _("下单日期")),
        range_filter("paid_at", _("付款日期")),
        DistributorFilter,
        BuyerFilter,
        ProductFilter,
        ProvinceFilter,
        PaymentProviderFilter,
        "activity_kind",
        "hold",
    )
    # Order number, buyer phone (the receiver's or the account's), tracking number; receiver's name
    # and the distributor's code too.
    search_fields = ("number", "receiver_phone", "=user__phone", "tracking_number", "receiver", "distributor__code")
    search_help_text = _("订单号、买家手机号、快递单号、收货人或分销商编码")
    list_select_related = ("distributor__user",)
    list_per_page = 50
    date_hierarchy = "created_at"
    inlines = [ShipmentInline, OrderLineInline, OrderEventInline]
    actions = ["cancel_orders", "packing_list"]
    exclude = ("price_breakdown",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Order._meta.fields if f.name != "price_breakdown"] + [
            "breakdown",
            "coupon_used",
            "line_adjustments",
            "bundles",
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("应付"), ordering="total_fen")
    def total(self, obj):
        return f"¥{yuan(obj.total_fen)}"

    @admin.display(description=_("实付"))
    def paid(self, obj):
        return f"¥{yuan(obj.paid_fen)}"

    @admin.display(description=_("已退款"))
    def refunded(self, obj):
        return f"¥{yuan(obj.refunded_fen)}" if obj.refunded_fen else "—"

    @admin.display(description=_("收货手机"))
    def buyer_phone(self, obj):
        return obj.masked_receiver_phone

    @admin.display(description=_("价格明细"))
    def breakdown(self, obj):
        """Each step of the price as the order kept it: goods, each stage's rule (限时折扣, 阶梯价, 满减,
        优惠券), shipping, total. Orders placed before the stages only have a label per discount."""
        b = obj.price_breakdown or {}
        rows = [(gettext("商品金额"), f"¥{yuan(b.get('goods_fen', 0))}")]
        for d in b.get("discounts", []):
            stage = _stage_label(d.get("stage", ""))
            name = f"{stage}（{d['label']}）" if stage and d.get("label") else stage or d.get("label", "")
            rows.append((name, f"-¥{yuan(d['amount_fen'])}"))
        if b.get("shipping_fen"):
            shipping = f"¥{yuan(b['shipping_fen'])}"
        elif b.get("shipping_free_by") == "full_reduction":
            shipping = gettext("满减包邮")
        else:
            shipping = gettext("包邮")
        rows.append((gettext("运费"), shipping))
        rows.append((gettext("应付"), f"¥{yuan(b.get('total_fen', 0))}"))
        if obj.activity_kind:
            # an activity order: its activity price only (no coupon, 满减 or member price)
            activity = b.get("activity") or {}
            label = f"{obj.get_activity_kind_display()} #{obj.activity_id}"
            if activity.get("label"):
                label = f"{label}（{activity['label']}）"
            rows.insert(1, (gettext("营销活动"), label))
            if activity.get("below_control_sku_ids"):
                rows.insert(2, (gettext("控价"), gettext("平台活动价，不受控价限制")))
        return format_html(
            '<table class="order-breakdown">{}</table>',
            format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows),
        )

    @admin.display(description=_("使用优惠券"))
    def coupon_used(self, obj):
        coupon = (obj.price_breakdown or {}).get("coupon")
        if coupon:
            return gettext("%(name)s（券 #%(id)s），抵扣 ¥%(amount)s") % {
                "name": coupon["name"],
                "id": coupon["user_coupon_id"],
                "amount": yuan(coupon["amount_fen"]),
            }
        return "—"

    @admin.display(description=_("各行优惠"))
    def line_adjustments(self, obj):
        """What each stage took off each line (OrderLineAdjustment): what the commission base and a
        refund's ceiling read."""
        lines = list(obj.lines.all())
        prefetch_related_objects(lines, "adjustments")
        rows = [
            (
                f"{line.product_name} {line.sku_spec}".strip(),
                adjustment.get_stage_display(),
                adjustment.label,
                f"-¥{yuan(adjustment.amount_fen)}",
            )
            for line in lines
            for adjustment in line.adjustments.all()
        ]
        if not rows:
            return "—"
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("商品"),
            gettext("优惠类型"),
            gettext("活动 / 券"),
            gettext("金额"),
        )
        return format_html(
            '<table class="order-line-adjustments">{}{}</table>',
            head,
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("套装"))
    def bundles(self, obj):
        """Each 场景套装 bought: its name, how many, and what its component lines add up to."""
        groups: dict[int, list] = {}
        for line in obj.lines.all():
            if line.bundle_sku_id is not None:
                groups.setdefault(line.bundle_sku_id, []).append(line)
        if not groups:
            return "—"
        rows = [
            (
                lines[0].bundle_name,
                lines[0].bundle_quantity,
                f"¥{yuan(sum(line.line_total_fen for line in lines))}",
                f"¥{yuan(sum(line.paid_fen for line in lines))}",
                "、".join(f"{line.product_name} {line.sku_spec} × {line.quantity}".replace("  ", " ") for line in lines),
            )
            for lines in groups.values()
        ]
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("套装"),
            gettext("份数"),
            gettext("金额"),
            gettext("实付"),
            gettext("组成"),
        )
        return format_html(
            '<table class="order-bundles">{}{}</table>',
            head,
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def get_queryset(self, request):
        # whether the platform warehouse still has a parcel of the order to ship (the ship button's)
        platform = Shipment.objects.filter(order=OuterRef("pk"), supplier__isnull=True, status=Shipment.Status.TO_SHIP)
        return super().get_queryset(request).annotate(platform_to_ship=Exists(platform))

    @admin.display(description=_("操作"))
    def ship_link(self, obj):
        if obj.status != Order.Status.PAID:
            return ""
        if obj.hold:
            return obj.get_hold_display()  # 等待成团: ships once the group succeeds
        if not getattr(obj, "platform_to_ship", True):
            return gettext("待供应商发货")
        return format_html(
            '<a class="button" href="{}">{}</a>', reverse("admin:orders_order_ship", args=[obj.pk]), gettext("发货")
        )

    def get_urls(self):
        return [
            path("<int:order_id>/ship/", self.admin_site.admin_view(self.ship_view), name="orders_order_ship"),
            *super().get_urls(),
        ]

    def ship_view(self, request, order_id):
        order = get_object_or_404(Order, pk=order_id)
        if not request.user.has_perm("orders.ship_order"):
            return redirect("admin:index")
        form = ShipForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.ship_order(order_id=order.pk, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, gettext("订单 %(n)s 已发货") % {"n": order.number})
                return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": order,
            "title": gettext("发货：%(n)s") % {"n": order.number},
            "form": form,
        }
        return TemplateResponse(request, "admin/catalog/sku/service_form.html", context)

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.cancel_order")

    @admin.action(description=_("打印所选订单的配货单"))
    def packing_list(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True)[:200])
        return redirect(f"{reverse('console:packing_list')}?ids={ids}")

    @admin.action(description=_("取消所选订单（未发货；已付款的全额退款）"), permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        for order in queryset:
            try:
                services.cancel_order(order_id=order.pk, actor=request.user, reason=reason, as_buyer=False)
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
            else:
                if services.pending_cancel_approval(order.pk) is not None:
                    self.message_user(
                        request,
                        gettext("订单 %(n)s 退款金额超过审批额度，取消申请已提交财务审批；批准后取消并退款，审批前不能发货")
                        % {"n": order.number},
                        messages.WARNING,
                    )
                else:
                    self.message_user(request, gettext("订单 %(n)s 已取消") % {"n": order.number})


class AfterSaleEventInline(ReadOnlyInline):
    model = AfterSaleEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class AfterSalePhotoInline(ReadOnlyInline):
    """The buyer's photos, shown through the access-checked photo URL (never the file's own path)."""

    model = AfterSalePhoto
    fields = ("position", "preview", "width", "height", "size_bytes", "created_at")
    readonly_fields = fields

    @admin.display(description=_("照片"))
    def preview(self, obj):
        url = reverse("web:aftersale_photo", args=[obj.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" width="120" height="120" '
            'class="aftersale-photo" style="object-fit:cover"></a>',
            url,
            url,
            gettext("凭证照片 %(n)s") % {"n": obj.position},
        )


@admin.register(AfterSale)
class AfterSaleAdmin(ConsoleAdmin):
    action_form = ReasonActionForm
    list_display = ("id", "order", "kind", "status", "amount", "quantity", "reason", "created_at")
    list_filter = (
        "status",
        "kind",
        range_filter("created_at", _("申请日期")),
        range_filter("amount_fen", _("退款金额（元）"), kind="yuan"),
    )
    search_fields = ("order__number", "=order__receiver_phone", "=order__user__phone", "return_tracking_number", "reason")
    search_help_text = _("订单号、买家手机号、退货单号或原因")
    list_select_related = ("order",)
    inlines = [AfterSalePhotoInline, AfterSaleEventInline]
    actions = ["approve", "reject", "receive_return"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AfterSale._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("金额"), ordering="amount_fen")
    def amount(self, obj):
        return f"¥{yuan(obj.amount_fen)}"

    def _each(self, request, queryset, func, **kwargs):
        for aftersale in queryset:
            try:
                func(aftersale_id=aftersale.pk, actor=request.user, **kwargs)
            except DomainError as exc:
                self.message_user(request, f"#{aftersale.pk}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, gettext("售后 #%(id)s 已处理") % {"id": aftersale.pk})

    def has_review_permission(self, request):
        return request.user.has_perm("orders.review_aftersale")

    def has_receive_permission(self, request):
        return request.user.has_perm("orders.receive_return")

    @admin.action(description=_("同意"), permissions=["review"])
    def approve(self, request, queryset):
        self._each(request, queryset, services.review_aftersale, approve=True)

    @admin.action(description=_("拒绝（填写原因）"), permissions=["review"])
    def reject(self, request, queryset):
        self._each(request, queryset, services.review_aftersale, approve=False, reason=request.POST.get("reason", ""))

    @admin.action(description=_("已收到退货，退款"), permissions=["receive"])
    def receive_return(self, request, queryset):
        self._each(request, queryset, services.receive_return_and_refund)
