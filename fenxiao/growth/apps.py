from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class GrowthConfig(AppConfig):
    name = "fenxiao.growth"
    label = "growth"
    verbose_name = pgettext_lazy("app name", "分销商成长")

    def ready(self) -> None:
        from fenxiao.approvals.registry import register_kind

        from . import receivers, services, services_prizes

        receivers.connect()
        register_kind(
            services.RUNG_CASH_APPROVAL, label=pgettext_lazy("approval kind", "邀请阶梯现金奖励"), on_approve=services.approve_rung_cash
        )
        register_kind(
            services_prizes.PRIZE_CASH_APPROVAL,
            label=pgettext_lazy("approval kind", "排行榜现金奖金"),
            on_approve=services_prizes.pay_approved_prizes,
            on_reject=services_prizes.note_rejected_prizes,
        )
