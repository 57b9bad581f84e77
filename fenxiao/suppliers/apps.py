from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "fenxiao.suppliers"
    label = "suppliers"
    verbose_name = "供应商"
