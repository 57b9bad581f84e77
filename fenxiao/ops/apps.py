from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OpsConfig(AppConfig):
    name = "fenxiao.ops"
    label = "ops"
    verbose_name = pgettext_lazy("app name", "运维")
