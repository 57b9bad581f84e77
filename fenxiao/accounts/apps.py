from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    name = "fenxiao.accounts"
    label = "accounts"
    verbose_name = pgettext_lazy("app name", "账户与角色")

    def ready(self) -> None:
        from . import services
        from .models import User

        post_migrate.connect(services.ensure_staff_groups_handler, dispatch_uid="fenxiao.accounts.staff_groups")
        post_save.connect(services.revoke_tokens_on_password_change, sender=User, dispatch_uid="fenxiao.accounts.revoke_tokens")
