"""Expire the points past their expiry now (the daily job `members.expire_points`)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from fenxiao.members.tasks import run_points_expiry


class Command(BaseCommand):
    help = "清理已过期的积分（先到期的先过期）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_points_expiry()
        self.stdout.write(gettext("已过期积分 %(points_expired)d") % result)
