from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OrdersConfig(AppConfig):
    name = "fenxiao.orders"
    label = "orders"
    verbose_name = pgettext_lazy("app name", "订单")

    def ready(self) -> None:
        from fenxiao.approvals.registry import register_kind
        from fenxiao.payments.registry import register_handler

        from . import services

        register_handler(
            services.PAYMENT_PURPOSE, on_paid=services.on_payment_succeeded, on_refunded=services.on_refund_succeeded
        )
        register_kind(
            services.REFUND_APPROVAL,
            label=pgettext_lazy("approval kind", "大额退款"),
            on_approve=services.refund_after_approval,
            on_reject=services.refund_rejected,
        )
        register_kind(
            services.ORDER_CANCEL_APPROVAL,
            label=pgettext_lazy("approval kind", "取消订单退款"),
            on_approve=services.cancel_after_approval,
            on_reject=services.cancel_rejected,
        )
        register_kind(
            services.SHIPMENT_CANCEL_APPROVAL,
            label=pgettext_lazy("approval kind", "取消发货单退款"),
            on_approve=services.shipment_cancel_approved,
            on_reject=services.shipment_cancel_rejected,
        )
