from datetime import datetime

from ninja import Field, Schema

from fenxiao.common.validation import StrictIn


class GrowthLevelOut(Schema):
    id: int
    name: str
    rank: int


class ConditionProgressOut(Schema):
    kind: str
    label: str
    value: int
    threshold: int
    met: bool
    percent: int
    text: str


class LevelChangeOut(Schema):
    id: int
    distributor_id: int
    from_level: str | None
    to_level: str
    is_upgrade: bool
    reason: str
    period: str
    figures: dict
    note: str
    created_at: datetime


class MyLevelOut(Schema):
    level: GrowthLevelOut
    next_level: GrowthLevelOut | None
    combine: str
    conditions: list[ConditionProgressOut]
    figures: dict
    history: list[LevelChangeOut]


class ConditionIn(StrictIn):
    kind: str
    threshold: int


class ConditionOut(Schema):
    kind: str
    threshold: int


class RuleIn(StrictIn):
    combine: str = "all"
    is_enabled: bool = True
    downgrade_enabled: bool = False
    protection_days: int = 30
    downgrade_after_months: int = 1
    conditions: list[ConditionIn] = Field(default_factory=list)


class RuleOut(Schema):
    level: GrowthLevelOut
    combine: str
    is_enabled: bool
    downgrade_enabled: bool
    protection_days: int
    downgrade_after_months: int
    conditions: list[ConditionOut]


class EvaluationIn(StrictIn):
    month: str | None = None


class EvaluationOut(Schema):
    period: str
    evaluated: int
    upgraded: int
    downgraded: int
    already_done: int
    summary: str


class LevelChangePage(Schema):
    count: int
    items: list[LevelChangeOut]


class RungOut(Schema):
    id: int
    invites: int
    basis: str
    reward: str
    cash_fen: int
    gift_name: str
    points: int
    counted: int
    reached: bool
    claimable: bool
    awaiting_approval: bool = Field(description="已达成但现金奖励尚待财务审批：审批通过后才可领取")
    claimed_at: datetime | None


class InvitationsOut(Schema):
    valid_invites: int
    heads: int
    rungs: list[RungOut]


class RewardIn(StrictIn):
    """What a ladder rung or a leaderboard prize gives: cash (fen), points or a gift."""

    reward: str
    cash_fen: int = 0
    gift_name: str = ""
    points: int = 0
    is_enabled: bool = True


class RewardOut(Schema):
    reward: str
    cash_fen: int
    gift_name: str
    points: int
    is_enabled: bool


class RungIn(RewardIn):
    invites: int
    basis: str = "valid"


class RungSavedOut(RewardOut):
    id: int
    invites: int
    basis: str
    warning: str


# --- leaderboard prizes ----------------------------------------------------------------------------


class PrizeIn(RewardIn):
    board: str
    period_kind: str
    rank_from: int
    rank_to: int


class PrizeOut(RewardOut):
    id: int
    board: str
    period_kind: str
    rank_from: int
    rank_to: int
    updated_at: datetime


class CloseIn(StrictIn):
    board: str
    period_kind: str
    period: str | None = None


class CloseAwardOut(Schema):
    id: int
    prize_id: int
    distributor_id: int
    distributor_code: str
    rank: int
    value: int
    reward: str
    cash_fen: int
    gift_name: str
    points: int


class CloseOut(Schema):
    id: int
    board: str
    period_kind: str
    period: str
    winners: int
    cash_fen: int
    ledger_transaction_id: int | None
    closed_at: datetime
    awards: list[CloseAwardOut]


class CloseRunOut(CloseOut):
    created: bool


class ClosePage(Schema):
    count: int
    items: list[CloseOut]


class MyAwardOut(Schema):
    id: int
    board: str
    period_kind: str
    period: str
    rank: int
    value: int
    reward: str
    cash_fen: int
    gift_name: str
    points: int
    created_at: datetime
