from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "fenxiao.distribution"
    label = "distribution"
    verbose_name = "分销网络"
