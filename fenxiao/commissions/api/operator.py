"""Operator endpoints of the commissions app: the plan simulator, the monthly team bonus and the
settlement schedule and batches.

The simulator and the bonus belong to whoever may change the commission plan: staff with the permission to change the
distribution levels and the distribution settings (运营 by default); settlement to whoever holds the commissions permissions
(财务 by default)."""

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.common import periods

from .. import simulator
from ..errors import CommissionCode, CommissionError
from ..models import SettlementBatch
from ..schemas import (
    CommissionSettingsIn,
    CommissionSettingsOut,
    SettlementBatchOut,
    SettlementRunOut,
    SimulateIn,
    SimulationOut,
    TeamBonusPage,
    TeamBonusRunIn,
    TeamBonusRunOut,
)
from ..services import settlement, team_bonus

operator_router = Router(tags=["运营：佣金 operator"], auth=member_auth)


def require_plan_staff(request) -> None:
    for perm in simulator.PLAN_PERMISSIONS:
        require_staff_perm(request, perm)


def _draft(payload: SimulateIn) -> simulator.Plan:
    plan = payload.plan
    simulator.refuse_unknown_fields(plan.model_extra or {}, _("未知的方案字段"))
    levels: dict[int, dict] = {}
    for item in plan.levels:
        if item.level_id in levels:
            raise CommissionError(CommissionCode.INVALID_PLAN, _("同一等级在方案中出现了两次"), {"level_id": item.level_id})
        values = {k: v for k, v in item.model_dump(exclude={"level_id"}).items() if v is not None}
        levels[item.level_id] = values
    return simulator.draft_plan(
        levels=levels,
        commission_levels=plan.commission_levels,
        self_purchase_commission=plan.self_purchase_commission,
        ceiling_bp=plan.ceiling_bp,
    )


def _scope(payload: SimulateIn):
    scope = payload.scope
    if scope.kind == "synthetic":
        return simulator.SyntheticScope(
            order_count=scope.order_count,
            avg_order_value_fen=scope.avg_order_value_fen,
            category_mix=scope.category_mix,
            indirect_share_bp=scope.indirect_share_bp,
            seed=scope.seed,
            with_promotions=scope.with_promotions,
        )
    return simulator.WindowScope(days=scope.days, net_of_refunds=scope.net_of_refunds)


@operator_router.post("/simulate", response=SimulationOut, summary="佣金预测：草案方案与现行方案对比（只读）")
def simulate(request, payload: SimulateIn):
    require_plan_staff(request)
    return simulator.simulate(_draft(payload), _scope(payload)).as_dict()


def _bonus(row) -> dict:
    return {
        "id": row.pk,
        "distributor_id": row.distributor_id,
        "distributor_code": row.distributor.code,
        "month": row.month,
        "level_name": row.level_name,
        "rate_bp": row.rate_bp,
        "team_sales_fen": row.team_sales_fen,
        "order_count": row.order_count,
        "amount_fen": row.amount_fen,
        "ledger_transaction_id": row.ledger_transaction_id,
        "created_at": row.created_at,
    }


@operator_router.post(
    "/team-bonus/run", response=TeamBonusRunOut, summary="提交团队奖励发放（默认上个月；财务批准后发放，同月只发一次）"
)
def run_team_bonus(request, payload: TeamBonusRunIn):
    require_plan_staff(request)
    proposal = team_bonus.propose_team_bonus(payload.month, actor=current_user(request))
    if proposal.run is not None:  # already paid: what was paid
        run = proposal.run
        rows = team_bonus.bonuses_for_month(run.month)
        return {
            "month": run.month,
            "created": False,
            "partner_count": run.partner_count,
            "team_sales_fen": run.team_sales_fen,
            "amount_fen": run.amount_fen,
            "ledger_transaction_id": run.ledger_transaction_id,
            "bonuses": [_bonus(row) for row in rows],
        }
    approval = proposal.approval
    return {
        "month": proposal.month,
        "created": False,
        "partner_count": proposal.partner_count,
        "team_sales_fen": proposal.team_sales_fen,
        "amount_fen": proposal.amount_fen,
        "ledger_transaction_id": None,
        "bonuses": [],
        "approval_id": approval.pk if approval else None,
        "approval_status": approval.status if approval else None,
    }


class TeamBonusQuery(Schema):
    month: str | None = None
    page: int = 1
    page_size: int = 50


@operator_router.get("/team-bonus", response=TeamBonusPage, summary="团队奖励发放记录（按月）")
def team_bonus_list(request, q: Query[TeamBonusQuery]):
    require_plan_staff(request)
    month = q.month or periods.previous_month()
    rows = team_bonus.bonuses_for_month(month)
    totals = rows.order_by().aggregate(
        count=Count("id"), sales=Sum("team_sales_fen", default=0), amount=Sum("amount_fen", default=0)
    )
    page_size = max(1, min(q.page_size, 200))
    page = max(1, q.page)
    return {
        "month": month,
        "partner_count": totals["count"],
        "team_sales_fen": totals["sales"],
        "amount_fen": totals["amount"],
        "page": page,
        "page_size": page_size,
        "items": [_bonus(row) for row in rows[(page - 1) * page_size : page * page_size]],
    }


# --- settlement: the schedule, the margin ceiling and the batches --------------------------------


def _settings_out(conf) -> dict:
    return {
        "schedule": conf.schedule,
        "t_plus_days": conf.t_plus_days,
        "weekday": conf.weekday,
        "month_day": conf.month_day,
        "ceiling_bp": conf.ceiling_bp,
        "updated_at": conf.updated_at,
        "due": settlement.due_summary(),
    }


@operator_router.get("/settlement", response=CommissionSettingsOut, summary="结算设置与下一批次预览")
def settlement_settings(request):
    require_staff_perm(request, "commissions.view_commissionsettings")
    return _settings_out(settlement.settlement_settings())


@operator_router.put("/settlement", response=CommissionSettingsOut, summary="修改结算周期（T+N / 每周 / 每月）与佣金上限")
def update_settlement_settings(request, payload: CommissionSettingsIn):
    require_staff_perm(request, "commissions.change_commissionsettings")
    actor = current_user(request)
    with transaction.atomic():
        conf = settlement.update_settlement_settings(
            actor=actor,
            schedule=payload.schedule,
            t_plus_days=payload.t_plus_days,
            weekday=payload.weekday,
            month_day=payload.month_day,
        )
        if payload.ceiling_bp is not None:
            conf = settlement.set_margin_ceiling(actor=actor, ceiling_bp=payload.ceiling_bp)
    return _settings_out(conf)


@operator_router.get("/settlement/batches", response=list[SettlementBatchOut], summary="结算批次（最新在前）")
def settlement_batches(request, limit: int = 50):
    require_staff_perm(request, "commissions.view_settlementbatch")
    return list(SettlementBatch.objects.order_by("-started_at", "-id")[: max(1, min(limit, 500))])


@operator_router.post("/settlement/run", response=SettlementRunOut, summary="运行到期的结算批次（同一结算期只运行一次）")
def run_settlement(request):
    require_staff_perm(request, "commissions.add_settlementbatch")
    batch = settlement.run_settlement(actor=current_user(request))
    return {"ran": batch is not None, "batch": batch}
