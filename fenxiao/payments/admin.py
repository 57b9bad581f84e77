"""Operator admin for payments: everything is read-only here. Payments, refunds and notifications
change only through payments.services (the owning app's pages and the provider's callbacks)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ReadOnlyAdmin, ReadOnlyInline
from fenxiao.common.money import yuan

from .models import Notification, Payment, PaymentEvent, Refund


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
    list_display = ("out_trade_no", "purpose", "reference", "provider", "amount", "refunded", "status", "created_at", "succeeded_at")
    list_filter = ("status", "provider", "purpose")
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
        "prepay_id",
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
    readonly_fields = ("provider", "notification_id", "event_type", "verified", "outcome", "payment", "headers", "body", "created_at")
    fields = readonly_fields
