from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class JobsConfig(AppConfig):
    name = "fenxiao.jobs"
    label = "jobs"
    verbose_name = pgettext_lazy("app name", "定时任务")
