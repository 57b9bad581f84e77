from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class InventoryConfig(AppConfig):
    name = "fenxiao.inventory"
    label = "inventory"
    verbose_name = pgettext_lazy("app name", "库存")
