from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SuppliersConfig(AppConfig):
    name = "fenxiao.suppliers"
    label = "suppliers"
    verbose_name = pgettext_lazy("app name", "供应商")
