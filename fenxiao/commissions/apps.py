from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CommissionsConfig(AppConfig):
    name = "fenxiao.commissions"
    label = "commissions"
    verbose_name = pgettext_lazy("app name", "佣金")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
