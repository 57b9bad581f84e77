from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class GrowthConfig(AppConfig):
    name = "fenxiao.growth"
    label = "growth"
    verbose_name = pgettext_lazy("app name", "分销商成长")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
