from datetime import datetime
from typing import Literal

from ninja import Schema


class TeamQuery(Schema):
    kind: Literal["direct", "indirect"] = "direct"
    sort: Literal["joined", "sales", "orders"] = "joined"
    page: int = 1
    page_size: int = 20


class TeamMemberOut(Schema):
    distributor_id: int
    kind: str
    name: str
    phone: str
    level_name: str
    joined_at: datetime | None
    month_sales_fen: int
    month_order_count: int
    inviter_name: str


class TeamPageOut(Schema):
    kind: str
    sort: str
    month: str
    page: int
    page_size: int
    total: int
    has_next: bool
    direct_count: int
    indirect_count: int
    items: list[TeamMemberOut]


class TreeNodeOut(Schema):
    distributor_id: int
    depth: int
    name: str
    phone: str
    level_name: str
    joined_at: datetime | None
    child_count: int
    expandable: bool


class TreeOut(Schema):
    parent_id: int
    items: list[TreeNodeOut]


class LeaderboardQuery(Schema):
    board: Literal["sales", "invites"] = "sales"
    period: Literal["month", "quarter"] = "month"
    scope: Literal["network", "team"] = "network"
    offset: int = 0


class PeriodOut(Schema):
    kind: str
    offset: int
    label: str
    start: datetime
    end: datetime


class BoardEntryOut(Schema):
    rank: int | None
    distributor_id: int
    name: str
    phone: str
    level_name: str
    value: int
    is_me: bool


class LeaderboardOut(Schema):
    board: str
    scope: str
    period: PeriodOut
    ranked_count: int
    entries: list[BoardEntryOut]
    me: BoardEntryOut


class ChainNodeOut(Schema):
    distributor_id: int
    code: str
    name: str
    phone: str
    level_name: str
    status: str
    status_label: str
    depth: int
    joined_at: datetime | None
    child_count: int


class ChainOut(Schema):
    distributor: ChainNodeOut
    upline: list[ChainNodeOut]
    direct_count: int
    indirect_count: int
    children: list[ChainNodeOut]
