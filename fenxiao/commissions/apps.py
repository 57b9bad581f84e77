from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class CommissionsConfig(AppConfig):
    name = "fenxiao.commissions"
    label = "commissions"
    verbose_name = pgettext_lazy("app name", "佣金")

    def ready(self) -> None:
        from fenxiao.approvals.registry import register_kind

        from . import postings, receivers  # noqa: F401  (postings registers the app's kinds)
        from .services import team_bonus

        receivers.register()
        register_kind(
            team_bonus.APPROVAL_KIND, label=pgettext_lazy("approval kind", "团队奖励发放"), on_approve=team_bonus.execute_approved
        )
