"""Shapes of the operator endpoints: the plan simulator, the team bonus and the settlement schedule."""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from fenxiao.common.validation import StrictIn


class LevelDraftIn(StrictIn):
    """One level's rates in the draft; a rate left out keeps its current value. Unknown fields are
    refused (StrictIn): a third-level rate with `commission_depth_exceeded` instead of being dropped."""

    level_id: int
    direct_rate_bp: int | None = Field(None, description="直推佣金，基点（1% = 100）")
    indirect_rate_bp: int | None = Field(None, description="间推佣金，基点")
    team_bonus_bp: int | None = Field(None, description="团队奖励，基点")


class PlanIn(StrictIn):
    """The draft plan. Anything left out is taken from the current plan."""

    levels: list[LevelDraftIn] = []
    commission_levels: int | None = Field(None, description="1 或 2；3 及以上会被拒绝（commission_depth_exceeded）")
    self_purchase_commission: bool | None = None
    ceiling_bp: int | None = Field(None, description="每行佣金不超过毛利的比例，基点")


class WindowScopeIn(StrictIn):
    kind: Literal["window"] = "window"
    days: int = Field(30, description="最近 N 天（1–365）已付款、未取消的订单")
    net_of_refunds: bool = True


class SyntheticScopeIn(StrictIn):
    kind: Literal["synthetic"]
    order_count: int
    avg_order_value_fen: int
    category_mix: dict[int, int] | None = Field(None, description="{类目 id: 权重}；不填则在有在售 SKU 的类目间平均")
    indirect_share_bp: int = Field(5000, description="有间推收益人的订单占比，基点")
    seed: int = 1
    with_promotions: bool = Field(False, description="模拟订单先经过正在进行的满减送，佣金按优惠后的实付计算")


class SimulateIn(StrictIn):
    plan: PlanIn = PlanIn()
    scope: Annotated[WindowScopeIn | SyntheticScopeIn, Field(discriminator="kind")] = WindowScopeIn()


class CategoryFiguresOut(Schema):
    category_id: int
    name: str
    sales_fen: int
    cost_fen: int
    commission_fen: int
    margin_fen: int
    margin_rate_bp: int
    margin_share_bp: int


class EarnerFiguresOut(Schema):
    distributor_id: int
    code: str
    level: str
    masked_phone: str
    direct_fen: int
    indirect_fen: int
    total_fen: int


class PlanFiguresOut(Schema):
    commission_fen: int
    direct_fen: int
    indirect_fen: int
    team_bonus_fen: int
    commission_share_bp: int
    payout_share_bp: int
    health: str = Field(..., description="low（低于 10%）/ healthy（10%–20%）/ high（高于 20%）/ no_sales")
    health_label: str
    capped_lines: int
    capped_cut_fen: int
    platform_margin_fen: int
    categories: list[CategoryFiguresOut]
    top_earners: list[EarnerFiguresOut]


class SimulationOut(Schema):
    scope: dict
    order_count: int
    line_count: int
    gmv_fen: int
    refunded_fen: int
    sales_fen: int
    cost_fen: int
    draft: PlanFiguresOut
    current: PlanFiguresOut
    delta: dict[str, int]
    draft_plan: dict
    current_plan: dict


class TeamBonusRunIn(StrictIn):
    month: str | None = Field(None, description="YYYY-MM，默认上个月；本月及以后会被拒绝")


class TeamBonusOut(Schema):
    id: int
    distributor_id: int
    distributor_code: str
    month: str
    level_name: str
    rate_bp: int
    team_sales_fen: int
    order_count: int
    amount_fen: int
    ledger_transaction_id: int | None
    created_at: datetime


class TeamBonusRunOut(Schema):
    month: str
    created: bool
    partner_count: int
    team_sales_fen: int
    amount_fen: int
    ledger_transaction_id: int | None
    bonuses: list[TeamBonusOut]
    approval_id: int | None = None
    approval_status: str | None = None


class TeamBonusPage(Schema):
    month: str
    partner_count: int
    team_sales_fen: int
    amount_fen: int
    page: int
    page_size: int
    items: list[TeamBonusOut]


class CommissionSettingsIn(StrictIn):
    schedule: str = Field(..., description="daily 每日（T+N） / weekly 每周 / monthly 每月")
    t_plus_days: int = Field(..., description="T+N 的 N：订单完成后第 N 天结算（0–90）")
    weekday: int = Field(0, description="每周结算日，0 为周一")
    month_day: int = Field(1, description="每月结算日（1–28）")
    ceiling_bp: int | None = Field(None, description="每行佣金合计不超过毛利的这一比例（基点）；不填则不变")


class DueOut(Schema):
    period: str
    cutoff: datetime
    already_run: bool
    commission_count: int
    amount_fen: int


class CommissionSettingsOut(Schema):
    schedule: str
    t_plus_days: int
    weekday: int
    month_day: int
    ceiling_bp: int
    updated_at: datetime | None
    due: DueOut


class SettlementBatchOut(Schema):
    id: int
    period: str
    schedule: str
    cutoff: datetime
    commission_count: int
    distributor_count: int
    amount_fen: int
    ledger_transaction_id: int | None
    started_at: datetime
    finished_at: datetime


class SettlementRunOut(Schema):
    ran: bool
    batch: SettlementBatchOut | None
