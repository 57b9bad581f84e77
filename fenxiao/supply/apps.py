from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SupplyConfig(AppConfig):
    name = "fenxiao.supply"
    label = "supply"
    verbose_name = pgettext_lazy("app name", "供应链")

    def ready(self) -> None:
        from .settlement.apps import ready as settlement_ready

        settlement_ready()
