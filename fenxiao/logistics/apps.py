from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import pgettext_lazy


class LogisticsConfig(AppConfig):
    name = "fenxiao.logistics"
    label = "logistics"
    verbose_name = pgettext_lazy("app name", "物流")

    def ready(self) -> None:
        from .defaults import ensure_carriers_handler

        post_migrate.connect(ensure_carriers_handler, dispatch_uid="fenxiao.logistics.default_carriers")
