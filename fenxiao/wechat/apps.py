from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class WeChatConfig(AppConfig):
    name = "fenxiao.wechat"
    label = "wechat"
    verbose_name = pgettext_lazy("app name", "微信")
