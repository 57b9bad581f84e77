"""Operator admin for payments: everything is read-only here. Payments, refunds and notifications
change only through payments.services (the owning app's pages and the provider's callbacks)."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyAdmin, ReadOnlyInline
from fenxiao.common.money import yuan

from . import services
from .errors import PaymentError
from .models import Notification, Payment, PaymentDuplicate, PaymentEvent, PaymentRefusal, Refund


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("out_refund_no", "amount_fen", "status", "reason", "provider_refund_id", "created_at", "succeeded_at")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "out_trade_no",
        "purpose",
        "reference",
        "provider",
        "trade_type",
        "amount",
        "refunded",
        "status",
        "created_at",
        "succeeded_at",
    )
    list_filter = ("status", "provider", "trade_type", "purpose")
    search_fields = ("out_trade_no", "reference", "provider_txn_id", "payer_openid")
    readonly_fields = (
        "purpose",
        "reference",
        "provider",
        "out_trade_no",
        "amount_fen",
        "refunded_fen",
        "status",
        "description",
        "provider_txn_id",
        "payer_openid",
        "trade_type",
        "prepay_id",
        "h5_url",
        "code_url",
        "prepared_at",
        "created_at",
        "succeeded_at",
        "closed_at",
    )
    fields = readonly_fields
    inlines = [RefundInline, PaymentEventInline]
    date_hierarchy = "created_at"

    @admin.display(description=_("金额（元）"), ordering="amount_fen")
    def amount(self, obj):
        return yuan(obj.amount_fen)

    @admin.display(description=_("已退款（元）"), ordering="refunded_fen")
    def refunded(self, obj):
        return yuan(obj.refunded_fen)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("out_refund_no", "payment", "amount", "status", "reason", "requested_by", "created_at", "succeeded_at")
    list_filter = ("status",)
    search_fields = ("out_refund_no", "provider_refund_id", "idempotency_key", "payment__out_trade_no", "payment__reference")
    list_select_related = ("payment", "requested_by")
    readonly_fields = (
        "payment",
        "out_refund_no",
        "amount_fen",
        "reason",
        "status",
        "provider_refund_id",
        "idempotency_key",
        "requested_by",
        "failure_reason",
        "created_at",
        "succeeded_at",
    )
    fields = readonly_fields

    @admin.display(description=_("退款金额（元）"), ordering="amount_fen")
    def amount(self, obj):
        return yuan(obj.amount_fen)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "provider", "event_type", "outcome", "verified", "payment", "notification_id")
    list_filter = ("outcome", "verified", "provider", "event_type")
    search_fields = ("notification_id", "payment__out_trade_no", "body")
    list_select_related = ("payment",)
    readonly_fields = (
        "provider",
        "notification_id",
        "event_type",
        "verified",
        "outcome",
        "payment",
        "headers",
        "body",
        "created_at",
    )
    fields = readonly_fields


@admin.register(PaymentRefusal)
class PaymentRefusalAdmin(ReadOnlyAdmin):
    list_display = ("hour", "provider", "reason", "source_address", "count", "total_bytes", "last_seen_at")
    list_filter = ("reason", "provider")
    search_fields = ("source_address", "sample_sha256")
    readonly_fields = (
        "provider",
        "reason",
        "source_address",
        "hour",
        "count",
        "total_bytes",
        "sample_length",
        "sample_sha256",
        "sample_headers",
        "sample",
        "first_seen_at",
        "last_seen_at",
    )
    fields = readonly_fields
    date_hierarchy = "hour"


@admin.register(PaymentDuplicate)
class PaymentDuplicateAdmin(ReadOnlyAdmin):
    """Money a provider received twice (or after the payment was closed). Finance refunds it in the
    merchant platform, or reconciles it, then marks it handled here."""

    list_display = ("created_at", "payment", "kind", "provider_txn_id", "amount", "status", "resolved_by", "resolved_at")
    list_filter = ("status", "kind")
    search_fields = ("provider_txn_id", "notification_id", "payment__out_trade_no", "payment__reference")
    list_select_related = ("payment", "resolved_by")
    readonly_fields = (
        "payment",
        "kind",
        "provider_txn_id",
        "amount_fen",
        "notification_id",
        "status",
        "resolved_by",
        "resolved_at",
        "resolution_note",
        "created_at",
    )
    fields = readonly_fields
    actions = ["mark_resolved"]

    @admin.display(description=_("金额（元）"), ordering="amount_fen")
    def amount(self, obj):
        return yuan(obj.amount_fen)

    def has_resolve_permission(self, request):
        return request.user.has_perm("payments.change_paymentduplicate")

    @admin.action(description=_("标记为已处理（已在商户平台退款或已对账）"), permissions=["resolve"])
    def mark_resolved(self, request, queryset):
        done = 0
        for duplicate in queryset.filter(status=PaymentDuplicate.Status.OPEN):
            try:
                services.resolve_duplicate(
                    duplicate_id=duplicate.pk, actor=request.user, note=gettext("已在管理后台标记为已处理")
                )
            except PaymentError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            done += 1
        self.message_user(request, gettext("已处理 %(count)s 条重复付款") % {"count": done}, messages.SUCCESS)
