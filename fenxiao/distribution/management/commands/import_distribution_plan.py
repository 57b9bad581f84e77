"""Import levels and distribution settings from a JSON file, through the same services as the
admin and the API, so that a plan with a third commission level is refused here too.

File shape:
    {"settings": {"commission_levels": 2, "admission_mode": "review", ...},
     "levels": [{"name": "普通分销商", "rank": 1, "direct_rate_bp": 1000, "indirect_rate_bp": 500}, ...]}
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fenxiao.distribution import services
from fenxiao.distribution.errors import DistributionCode, DistributionError
from fenxiao.distribution.models import Level


class Command(BaseCommand):
    help = "导入分销等级与设置（JSON）；超过两级的佣金会被拒绝"

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON 文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不保存")

    def handle(self, *args, path, dry_run=False, **options):
        try:
            plan = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取 {path}: {exc}") from exc
        if not isinstance(plan, dict):
            raise CommandError("文件内容必须是一个 JSON 对象")
        unknown = set(plan) - {"settings", "levels", "commission_levels"}
        if unknown:
            raise CommandError(f"未知的顶层字段：{', '.join(sorted(unknown))}")
        settings_changes = dict(plan.get("settings") or {})
        if "commission_levels" in plan:
            settings_changes["commission_levels"] = plan["commission_levels"]
        try:
            with transaction.atomic():
                if settings_changes:
                    services.update_settings(**settings_changes)
                for row in plan.get("levels") or []:
                    if not isinstance(row, dict):
                        raise DistributionError(DistributionCode.INVALID_LEVEL, "levels 中的每一项必须是对象")
                    existing = Level.objects.filter(rank=row.get("rank")).first()
                    services.save_level(level=existing, **row)
                if dry_run:
                    transaction.set_rollback(True)
        except DistributionError as exc:
            raise CommandError(f"[{exc.code}] {exc.message} {json.dumps(exc.detail, ensure_ascii=False)}") from exc
        except TypeError as exc:
            raise CommandError(f"字段不完整：{exc}") from exc
        verb = "校验通过（未保存）" if dry_run else "已导入"
        self.stdout.write(self.style.SUCCESS(f"{verb}：{len(plan.get('levels') or [])} 个等级，设置 {sorted(settings_changes)}"))
