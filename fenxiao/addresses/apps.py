from django.apps import AppConfig
from django.core import checks
from django.utils.translation import pgettext_lazy


class AddressesConfig(AppConfig):
    name = "fenxiao.addresses"
    label = "addresses"
    verbose_name = pgettext_lazy("app name", "收货地址")

    def ready(self) -> None:
        from .regions import check_dataset

        checks.register(check_dataset)
