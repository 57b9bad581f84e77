"""The background jobs of the console's own area: the list exports, and the long operator work whose
services live in the domain apps (settlement, level evaluation, leaderboard close, the simulator's
synthetic scenario, the team bonus proposal). Each job only calls the app's service, as the requesting staff member."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenxiao.common.money import yuan
from fenxiao.console.models import BackgroundJob

from . import exports
from .errors import ConsoleJobCode, ConsoleJobError
from .registry import Progress, RunFunction, register

SETTLEMENT = "commissions.settlement"
LEVEL_EVALUATION = "growth.level_evaluation"
LEADERBOARD_CLOSE = "growth.leaderboard_close"
SIMULATION = "commissions.simulation"
TEAM_BONUS = "commissions.team_bonus"


def _export_runner(spec: exports.ListExport) -> RunFunction:
    def run(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
        return exports.run_export(spec, job, progress)

    run.__qualname__ = f"export_{spec.key}"
    return run


for _spec in exports.LISTS.values():
    register(_spec.kind, title=_spec.title, permission=exports.EXPORT_PERMISSION)(_export_runner(_spec))


@register(SETTLEMENT, title=gettext_lazy("运行到期结算"), permission="commissions.add_settlementbatch")
def run_settlement(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    from fenxiao.commissions.services import settlement

    progress.set_total(1)
    batch = settlement.run_settlement(actor=job.requested_by)
    progress.advance()
    if batch is None:
        return {_("结果"): _("本结算期的批次已经运行过，没有新的结算")}
    return {
        _("结算期"): batch.period,
        _("佣金笔数"): batch.commission_count,
        _("收益人数"): batch.distributor_count,
        _("结算金额"): f"¥{yuan(batch.amount_fen)}",
    }


@register(LEVEL_EVALUATION, title=gettext_lazy("月度等级评估"), permission="growth.change_levelrule")
def run_level_evaluation(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    from fenxiao.growth import services

    progress.set_total(1)
    run = services.run_monthly_evaluation(job.params.get("month") or None, actor=job.requested_by)
    progress.advance()
    return {
        _("月份"): run.period,
        _("评估人数"): run.evaluated,
        _("升级"): run.upgraded,
        _("降级"): run.downgraded,
        _("此前已评估"): run.already_done,
    }


@register(LEADERBOARD_CLOSE, title=gettext_lazy("排行榜结榜"), permission="growth.add_leaderboardclose")
def run_leaderboard_close(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    from fenxiao.growth import services

    progress.set_total(1)
    params = job.params
    closing = services.close_period(
        params.get("board", ""), params.get("period_kind", ""), params.get("period") or None, actor=job.requested_by
    )
    progress.advance()
    close = closing.close
    return {
        _("周期"): close.period,
        _("获奖人数"): close.winners,
        _("现金合计"): f"¥{yuan(close.cash_fen)}",
        _("结果"): _("已结榜") if closing.created else _("此前已结榜，未重复发放"),
    }


@register(SIMULATION, title=gettext_lazy("佣金预测：模拟场景"), permission="distribution.change_level")
def run_simulation(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    """The plan simulator's synthetic scenario, with the form values the operator submitted."""
    from fenxiao.catalog.models import Category
    from fenxiao.commissions import simulator
    from fenxiao.commissions.admin.plan import SimulatorForm, can_change_plan, comparison_rows, summary_rows

    if not can_change_plan(job.requested_by):
        raise ConsoleJobError(ConsoleJobCode.FORBIDDEN, _("没有修改佣金方案的权限"), {"kind": SIMULATION}, status=403)
    progress.set_total(1)
    current = simulator.current_plan()
    categories = Category.objects.filter(pk__in=list(simulator.category_cost_ratios().keys())).order_by("sort_order", "id")
    data = {**job.params.get("form", {}), "scope": "synthetic"}
    form = SimulatorForm(data, plan=current, categories=categories)
    if not form.is_valid():
        errors = "；".join(
            f"{form[name].label if name in form.fields else ''} {' '.join(str(message) for message in messages)}".strip()
            for name, messages in form.errors.items()
        )
        raise ConsoleJobError(ConsoleJobCode.INVALID_PARAMS, _("模拟参数有误：%(errors)s") % {"errors": errors})
    result = simulator.simulate(form.draft(), form.scope_value(), current=current)
    progress.advance()
    summary: dict[str, Any] = dict(summary_rows(result))
    for label_, now, draft, change in comparison_rows(result):
        summary[_("%(label)s（现行 / 草案 / 变化）") % {"label": label_}] = " / ".join(v for v in (now, draft, change) if v)
    return summary


@register(TEAM_BONUS, title=gettext_lazy("发放上月团队奖励"), permission="distribution.change_level")
def run_team_bonus(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    """Compute a closed month's team bonus for every partner and submit it for finance's approval."""
    from fenxiao.commissions.admin.plan import can_change_plan
    from fenxiao.commissions.services import team_bonus

    if not can_change_plan(job.requested_by):
        raise ConsoleJobError(ConsoleJobCode.FORBIDDEN, _("没有修改佣金方案的权限"), {"kind": TEAM_BONUS}, status=403)
    progress.set_total(1)
    proposal = team_bonus.propose_team_bonus(job.params.get("month") or None, actor=job.requested_by)
    progress.advance()
    summary: dict[str, Any] = {_("月份"): proposal.month}
    approval: Any = proposal.approval  # the pending ApprovalRequest
    if approval is not None:
        summary.update(
            {
                _("合伙人"): proposal.partner_count,
                _("团队销售额"): f"¥{yuan(proposal.team_sales_fen)}",
                _("奖励合计"): f"¥{yuan(proposal.amount_fen)}",
                _("结果"): _("已提交财务审批（审批单 #%(id)s）：%(summary)s") % {"id": approval.pk, "summary": approval.summary},
            }
        )
    elif proposal.run is not None:
        summary[_("结果")] = proposal.run.summary()
    else:
        summary[_("结果")] = _("本月没有可发放的团队奖励")
    return summary
