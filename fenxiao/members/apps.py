from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class MembersConfig(AppConfig):
    name = "fenxiao.members"
    label = "members"
    verbose_name = pgettext_lazy("app name", "会员与积分")
