from django.apps import AppConfig
from django.utils.translation import gettext_lazy, pgettext_lazy


class GrowthConfig(AppConfig):
    name = "fenxiao.growth"
    label = "growth"
    verbose_name = pgettext_lazy("app name", "分销商成长")

    def ready(self) -> None:
        from fenxiao.approvals.registry import register_kind
        from fenxiao.commissions import postings
        from fenxiao.orders.services.activities import groups as group_orders

        from . import receivers, services

        receivers.connect()
        postings.register(
            services.REWARD_LEDGER_KIND,
            gettext_lazy("邀请奖励"),
            expense_account=services.REWARD_EXPENSE_ACCOUNT,
            expense_name=gettext_lazy("邀请奖励费用"),
        )
        postings.register(
            services.PRIZE_LEDGER_KIND,
            gettext_lazy("排行榜奖金"),
            expense_account=services.PRIZE_EXPENSE_ACCOUNT,
            expense_name=gettext_lazy("排行榜奖金费用"),
        )
        # 拼团 leader rewards: a platform marketing expense paid to the leader's distributor balance.
        postings.register(
            group_orders.LEADER_REWARD_KIND,
            gettext_lazy("拼团团长奖励"),
            expense_account=group_orders.LEADER_REWARD_EXPENSE_ACCOUNT,
            expense_name=gettext_lazy("拼团团长奖励费用"),
        )
        group_orders.pay_leader_rewards_with(postings.credit_available)
        register_kind(
            services.RUNG_CASH_APPROVAL,
            label=pgettext_lazy("approval kind", "邀请阶梯现金奖励"),
            on_approve=services.approve_rung_cash,
        )
        register_kind(
            services.PRIZE_CASH_APPROVAL,
            label=pgettext_lazy("approval kind", "排行榜现金奖金"),
            on_approve=services.pay_approved_prizes,
            on_reject=services.note_rejected_prizes,
        )
