from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class PromotionsConfig(AppConfig):
    name = "fenxiao.promotions"
    label = "promotions"
    verbose_name = pgettext_lazy("app name", "营销")

    def ready(self) -> None:
        from fenxiao.accounts import hooks as account_hooks
        from fenxiao.distribution import hooks as distributor_hooks

        from .services import coupons, starter

        account_hooks.register("promotions", on_registered=coupons.issue_newcomer_pack)
        distributor_hooks.register("promotions", on_approved=starter.on_distributor_approved)
