from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fenxiao.web"
    label = "web"
    verbose_name = "移动端页面"
