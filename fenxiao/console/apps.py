from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    default = True
    name = "fenxiao.console"
    label = "console"
    verbose_name = _("运营后台")

    def ready(self) -> None:
        from fenxiao.jobs import schedule
        from fenxiao.orders.selectors import promotion_figures
        from fenxiao.promotions.figures import register_order_reader

        from .jobs import tasks
        from .supply import notices

        schedule.add(
            schedule.Job(
                "console.reap_stalled_jobs", tasks.reap_stalled_jobs, schedule.Cadence.MINUTE, _("标记失去响应的后台作业为失败")
            )
        )
        # promotions sit below orders: what each promotion did in orders is read through this reader
        register_order_reader(promotion_figures)
        # a supplier's shipment exception reaches the operator's staff as an in-app notice
        notices.register()
