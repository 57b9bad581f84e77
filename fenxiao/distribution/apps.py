from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class DistributionConfig(AppConfig):
    name = "fenxiao.distribution"
    label = "distribution"
    verbose_name = pgettext_lazy("app name", "分销网络")
