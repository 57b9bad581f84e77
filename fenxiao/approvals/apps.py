from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ApprovalsConfig(AppConfig):
    name = "fenxiao.approvals"
    label = "approvals"
    verbose_name = pgettext_lazy("app name", "资金审批")
