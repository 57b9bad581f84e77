from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    default = True
    name = "fenxiao.console"
    label = "console"
    verbose_name = _("运营后台")
