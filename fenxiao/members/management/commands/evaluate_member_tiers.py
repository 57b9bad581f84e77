"""Run the member tier evaluation now (the nightly job `members.evaluate_tiers`)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from fenxiao.members.tasks import run_tier_evaluation


class Command(BaseCommand):
    help = "按统计周期内的消费重新评定会员等级（可升可降）"

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_tier_evaluation()
        self.stdout.write(
            gettext("已评定 %(members_evaluated)d 位会员：升级 %(tiers_upgraded)d，降级 %(tiers_downgraded)d") % result
        )
