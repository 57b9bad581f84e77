"""Growth endpoints: a distributor's level and progress; the operator's upgrade rules, the monthly
evaluation and the list of level changes. Thin: services and selectors do the work."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from fenxiao.common.api_auth import current_user, member_auth, require_staff_perm
from fenxiao.distribution.models import Distributor, Level

from . import selectors, selectors_prizes, services, services_prizes
from .errors import GrowthError
from .models import LevelChange, LevelRule
from .schemas import (
    CloseIn,
    ClosePage,
    CloseRunOut,
    EvaluationIn,
    EvaluationOut,
    InvitationsOut,
    LevelChangePage,
    MyAwardOut,
    MyLevelOut,
    PrizeIn,
    PrizeOut,
    RuleIn,
    RuleOut,
    RungIn,
    RungSavedOut,
)

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
    distributor = Distributor.objects.select_related("level").filter(user=user, status=Distributor.Status.APPROVED).first()
    if distributor is None:
        raise GrowthError("not_distributor", _("你还不是分销商"), status=403)
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
        raise GrowthError("level_not_found", _("等级不存在"), {"level_id": level_id}, status=404)
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
        raise GrowthError("invalid_filter", _("原因只能是 instant、monthly 或 manual"), {"reason": filters.reason})
    if not 1 <= filters.limit <= 200 or filters.offset < 0:
        raise GrowthError("invalid_filter", _("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset})
    qs = selectors.level_changes(period=filters.period, reason=filters.reason)
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_change(row) for row in rows]}


# --- invitation ladder ------------------------------------------------------------------------------


def _approved(request) -> Distributor:
    distributor = Distributor.objects.filter(user=current_user(request), status=Distributor.Status.APPROVED).first()
    if distributor is None:
        raise GrowthError("not_distributor", _("你还不是分销商"), status=403)
    return distributor


def _invitations(distributor) -> dict:
    counts, ladder = selectors.invitation_ladder(distributor)
    return {
        "valid_invites": counts.valid,
        "heads": counts.heads,
        "rungs": [
            {
                "id": s.rung.pk, "invites": s.rung.invites, "basis": s.rung.basis, "reward": s.rung.reward,
                "cash_fen": s.rung.cash_fen, "gift_name": s.rung.gift_name, "points": s.rung.points,
                "counted": s.count, "reached": s.reached, "claimable": s.claimable,
                "claimed_at": s.claimed.created_at if s.claimed else None,
            }
            for s in ladder
        ],
    }


@router.get("/invitations", response=InvitationsOut, summary="我的邀请：有效邀请人数与阶梯奖励")
def my_invitations(request):
    return _invitations(_approved(request))


@router.post("/invitations/{rung_id}/claim", response=InvitationsOut, summary="领取已达成的阶梯奖励（每档只发一次）")
def claim(request, rung_id: int):
    distributor = _approved(request)
    services.claim_invitation_reward(distributor=distributor, rung_id=rung_id)
    return _invitations(distributor)


@operator_router.post("/invitation-rungs", response=RungSavedOut, summary="新增邀请阶梯奖励（按人头计数的阶梯会返回警告）")
def add_rung(request, payload: RungIn):
    require_staff_perm(request, "growth.add_invitationrung")
    rung, warning = services.save_rung(**payload.dict(), actor=current_user(request))
    return {**{f: getattr(rung, f) for f in ("id", "invites", "basis", "reward", "cash_fen", "gift_name", "points", "is_enabled")}, "warning": warning}


# --- leaderboard prizes -----------------------------------------------------------------------------

PRIZE_FIELDS = ("id", "board", "period_kind", "rank_from", "rank_to", "reward", "cash_fen", "gift_name", "points", "is_enabled", "updated_at")
REWARD_FIELDS = ("reward", "cash_fen", "gift_name", "points")


def _prize(prize) -> dict:
    return {f: getattr(prize, f) for f in PRIZE_FIELDS}


def _close(close) -> dict:
    awards = [
        {"id": a.pk, "prize_id": a.prize_id, "distributor_id": a.distributor_id, "distributor_code": a.distributor.code,
         "rank": a.rank, "value": a.value, **{f: getattr(a, f) for f in REWARD_FIELDS}}
        for a in close.awards.all()
    ]
    fields = ("id", "board", "period_kind", "period", "winners", "cash_fen", "ledger_transaction_id", "closed_at")
    return {**{f: getattr(close, f) for f in fields}, "awards": awards}


@operator_router.get("/leaderboard-prizes", response=list[PrizeOut], summary="排行榜奖品（按榜单、周期、名次）")
def list_prizes(request, board: str | None = None, period_kind: str | None = None):
    require_staff_perm(request, "growth.view_leaderboardprize")
    return [_prize(p) for p in selectors_prizes.prizes(board, period_kind)]


@operator_router.post("/leaderboard-prizes", response={201: PrizeOut}, summary="新增排行榜奖品（同一榜单周期的启用名次不可重叠）")
def add_prize(request, payload: PrizeIn):
    require_staff_perm(request, "growth.add_leaderboardprize")
    prize = services_prizes.save_prize(**payload.dict(), actor=current_user(request))
    return Status(201, _prize(prize))


@operator_router.put("/leaderboard-prizes/{prize_id}", response=PrizeOut, summary="修改排行榜奖品")
def put_prize(request, prize_id: int, payload: PrizeIn):
    require_staff_perm(request, "growth.change_leaderboardprize")
    return _prize(services_prizes.save_prize(**payload.dict(), prize_id=prize_id, actor=current_user(request)))


@operator_router.delete("/leaderboard-prizes/{prize_id}", response=PrizeOut, summary="停用排行榜奖品（已发放的记录保留）")
def disable_prize(request, prize_id: int):
    require_staff_perm(request, "growth.change_leaderboardprize")
    return _prize(services_prizes.disable_prize(prize_id=prize_id, actor=current_user(request)))


@operator_router.post(
    "/leaderboard-closes", response={200: CloseRunOut, 201: CloseRunOut}, summary="结榜并发放奖品（同一周期只发放一次）"
)
def close_leaderboard(request, payload: CloseIn):
    require_staff_perm(request, "growth.add_leaderboardclose")
    closing = services_prizes.close_period(payload.board, payload.period_kind, payload.period, actor=current_user(request))
    close = selectors_prizes.closes().get(pk=closing.close.pk)
    return Status(201 if closing.created else 200, {**_close(close), "created": closing.created})


class ClosesFilter(Schema):
    board: str | None = None
    period_kind: str | None = None
    limit: int = 20
    offset: int = 0


@operator_router.get("/leaderboard-closes", response=ClosePage, summary="结榜记录与获奖名单")
def list_closes(request, filters: Query[ClosesFilter]):
    require_staff_perm(request, "growth.view_leaderboardclose")
    if not 1 <= filters.limit <= 100 or filters.offset < 0:
        raise GrowthError("invalid_filter", _("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset})
    qs = selectors_prizes.closes(filters.board, filters.period_kind)
    return {"count": qs.count(), "items": [_close(c) for c in qs[filters.offset : filters.offset + filters.limit]]}


@router.get("/leaderboard-awards", response=list[MyAwardOut], summary="我的排行榜获奖记录")
def my_leaderboard_awards(request):
    distributor = _approved(request)
    return [
        {"id": a.pk, "board": a.close.board, "period_kind": a.close.period_kind, "period": a.close.period, "rank": a.rank,
         "value": a.value, "created_at": a.created_at, **{f: getattr(a, f) for f in REWARD_FIELDS}}
        for a in selectors_prizes.my_awards(distributor.pk)
    ]
