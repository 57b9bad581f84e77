"""The orders area's background job: applying a previewed shipping file."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.console.jobs.registry import Progress, register

from . import imports

SHIP_IMPORT = "orders.ship_import"


def shown(summary: dict) -> dict:
    """The summary as the job's page shows it: a label for each count, and the rows left out."""
    shown = {
        gettext("文件行数"): summary["rows"],
        gettext("本次发货"): summary["shipped"],
        gettext("已发货（跳过）"): summary["already_done"],
        gettext("错误行（未处理）"): len(summary["skipped"]),
    }
    left_out = [
        gettext("第 %(row)s 行 %(number)s：%(why)s") % {"row": r["row"], "number": r["number"], "why": "；".join(r["errors"])}
        for r in summary["skipped"]
    ] + [
        gettext("第 %(row)s 行 %(number)s：%(why)s") % {"row": r["row"], "number": r["number"], "why": r["message"]}
        for r in summary["failed"]
    ]
    if summary["failed"]:
        shown[gettext("发货失败")] = len(summary["failed"])
    if left_out:
        shown[gettext("未发货的行")] = " · ".join(left_out[:200])
    return shown


@register(SHIP_IMPORT, title=_("批量发货"), permission="orders.ship_order")
def ship_import(job, progress: Progress) -> dict:
    """Ship the file's ready rows as the operator who started the job (checked again now)."""
    rows = imports.rows_from_data(job.params.get("rows", []))

    def step(done: int, total: int) -> None:
        if progress.total != total:
            progress.set_total(total)
        progress.advance()

    summary = imports.apply_rows(rows, actor=job.requested_by, valid_only=bool(job.params.get("valid_only")), progress=step)
    return shown(summary)
