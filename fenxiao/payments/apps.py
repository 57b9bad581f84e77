from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class PaymentsConfig(AppConfig):
    name = "fenxiao.payments"
    label = "payments"
    verbose_name = pgettext_lazy("app name", "支付")
