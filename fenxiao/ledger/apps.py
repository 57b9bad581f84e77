from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class LedgerConfig(AppConfig):
    name = "fenxiao.ledger"
    label = "ledger"
    verbose_name = pgettext_lazy("app name", "账本")
