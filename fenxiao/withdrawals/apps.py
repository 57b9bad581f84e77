from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class WithdrawalsConfig(AppConfig):
    name = "fenxiao.withdrawals"
    label = "withdrawals"
    verbose_name = pgettext_lazy("app name", "提现")

    def ready(self) -> None:
        from django.core import checks

        from . import crypto

        checks.register(crypto.check_field_key, checks.Tags.security)
