from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SmsConfig(AppConfig):
    name = "fenxiao.sms"
    label = "sms"
    verbose_name = pgettext_lazy("app name", "短信验证码")
