from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CatalogConfig(AppConfig):
    name = "fenxiao.catalog"
    label = "catalog"
    verbose_name = pgettext_lazy("app name", "商品")
