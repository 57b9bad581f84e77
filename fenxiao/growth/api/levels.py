"""A distributor's level and progress; the operator's upgrade rules, the monthly evaluation and the list
of level changes. Thin: services and selectors do the work."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.distribution.models import Level
from fenxiao.distribution.selectors import require_distributor

from .. import selectors, services
from ..errors import GrowthCode, GrowthError
from ..models import LevelChange, LevelRule
from ..schemas import EvaluationIn, EvaluationOut, LevelChangePage, MyLevelOut, RuleIn, RuleOut

router = Router(tags=["分销商成长 growth"], auth=member_auth)
operator_router = Router(tags=["运营：分销等级 operator"], auth=member_auth)

RULE_PERM = "growth.change_levelrule"
CHANGES_PERM = "growth.view_levelchange"


def _level(level) -> dict | None:
    return None if level is None else {"id": level.pk, "name": level.name, "rank": level.rank}


def _change(row: LevelChange) -> dict:
    return {
        "id": row.pk,
        "distributor_id": row.distributor_id,
        "from_level": row.from_level.name if row.from_level_id else None,
        "to_level": row.to_level.name,
        "is_upgrade": row.is_upgrade,
        "reason": row.reason,
        "period": row.period,
        "figures": row.figures,
        "note": row.note,
        "created_at": row.created_at,
    }


@router.get("/level", response=MyLevelOut, summary="我的等级、下一等级的条件与进度、等级变动记录")
def my_level(request):
    user = current_user(request)
    distributor = require_distributor(user)
    progress = selectors.level_progress(distributor)
    return {
        "level": _level(progress.level),
        "next_level": _level(progress.next_level),
        "combine": progress.combine,
        "conditions": [vars(item) for item in progress.conditions],
        "figures": progress.figures,
        "history": [_change(row) for row in progress.history],
    }


def _rule(rule: LevelRule) -> dict:
    return {
        "level": _level(rule.level),
        "combine": rule.combine,
        "is_enabled": rule.is_enabled,
        "downgrade_enabled": rule.downgrade_enabled,
        "protection_days": rule.protection_days,
        "downgrade_after_months": rule.downgrade_after_months,
        "conditions": [{"kind": c.kind, "threshold": c.threshold} for c in rule.conditions.all()],
    }


@operator_router.get("/rules", response=list[RuleOut], summary="升级规则（每个等级一条）")
def list_rules(request):
    require_staff_perm(request, RULE_PERM)
    return [_rule(r) for r in LevelRule.objects.select_related("level").prefetch_related("conditions").order_by("level__rank")]


@operator_router.put("/rules/{level_id}", response=RuleOut, summary="设置某个等级的升级规则")
def put_rule(request, level_id: int, payload: RuleIn):
    require_staff_perm(request, RULE_PERM)
    if not Level.objects.filter(pk=level_id).exists():
        raise GrowthError(GrowthCode.LEVEL_NOT_FOUND, _("等级不存在"), {"level_id": level_id}, status=404)
    rule = services.save_rule(
        level_id=level_id,
        combine=payload.combine,
        is_enabled=payload.is_enabled,
        downgrade_enabled=payload.downgrade_enabled,
        protection_days=payload.protection_days,
        downgrade_after_months=payload.downgrade_after_months,
        conditions=[(c.kind, c.threshold) for c in payload.conditions],
        actor=current_user(request),
    )
    rule = LevelRule.objects.select_related("level").prefetch_related("conditions").get(pk=rule.pk)
    return _rule(rule)


@operator_router.post("/evaluations", response=EvaluationOut, summary="执行月度等级评估（可重复执行）")
def run_evaluation(request, payload: EvaluationIn):
    require_staff_perm(request, RULE_PERM)
    run = services.run_monthly_evaluation(payload.month, actor=current_user(request))
    return {**vars(run), "summary": run.summary()}


class ChangesFilter(Schema):
    period: str | None = None
    reason: str | None = None
    limit: int = 50
    offset: int = 0


@operator_router.get("/changes", response=LevelChangePage, summary="等级变动记录（谁升谁降）")
def list_changes(request, filters: Query[ChangesFilter]):
    require_staff_perm(request, CHANGES_PERM)
    if filters.reason and filters.reason not in LevelChange.Reason.values:
        raise GrowthError(GrowthCode.INVALID_FILTER, _("原因只能是 instant、monthly 或 manual"), {"reason": filters.reason})
    if not 1 <= filters.limit <= 200 or filters.offset < 0:
        raise GrowthError(GrowthCode.INVALID_FILTER, _("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset})
    qs = selectors.level_changes(period=filters.period, reason=filters.reason)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_change(row) for row in rows]}
