from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class WebConfig(AppConfig):
    name = "fenxiao.web"
    label = "web"
    verbose_name = pgettext_lazy("app name", "移动端页面")

    def ready(self) -> None:
        from . import page_cache

        page_cache.connect()
