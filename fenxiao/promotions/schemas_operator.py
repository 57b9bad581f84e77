"""Schemas of the operator's promotions API (`api_operator`). Money in fen, rates in basis points."""

from datetime import datetime

from ninja import Schema

from fenxiao.common.validation import StrictIn


class PromoOpCouponIn(StrictIn):
    name: str
    scope: str = "all"
    categories: list[int] = []
    products: list[int] = []
    kind: str = "amount"
    amount_fen: int = 0
    percent_off_bp: int = 0
    cap_fen: int | None = None
    threshold_fen: int = 0
    validity: str = "dates"
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    claim_starts_at: datetime | None = None
    claim_ends_at: datetime | None = None
    total_quantity: int
    per_person_limit: int = 1
    claimable: bool = True
    for_newcomers: bool = False
    description: str = ""


class PromoOpCouponOut(Schema):
    id: int
    name: str
    text: str
    scope: str
    categories: list[int]
    products: list[int]
    kind: str
    amount_fen: int
    percent_off_bp: int
    cap_fen: int | None
    threshold_fen: int
    validity: str
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    claim_starts_at: datetime | None
    claim_ends_at: datetime | None
    total_quantity: int
    issued_count: int
    per_person_limit: int
    claimable: bool
    for_newcomers: bool
    description: str
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime


class PromoOpTierIn(StrictIn):
    threshold: int
    amount_off_fen: int = 0
    free_shipping: bool = False
    gift_coupon_id: int | None = None
    gift_sku_id: int | None = None
    gift_quantity: int = 1
    points: int = 0


class PromoOpTierOut(Schema):
    threshold: int
    amount_off_fen: int
    free_shipping: bool
    gift_coupon_id: int | None
    gift_sku_id: int | None
    gift_quantity: int
    points: int


class PromoOpFullReductionIn(StrictIn):
    name: str
    scope: str = "all"
    categories: list[int] = []
    products: list[int] = []
    basis: str = "amount"
    starts_at: datetime
    ends_at: datetime
    tiers: list[PromoOpTierIn]


class PromoOpFullReductionOut(Schema):
    id: int
    name: str
    scope: str
    categories: list[int]
    products: list[int]
    basis: str
    starts_at: datetime
    ends_at: datetime
    tiers: list[PromoOpTierOut]
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime


class PromoOpItemIn(StrictIn):
    sku_id: int
    mode: str = "percent"
    amount_off_fen: int = 0
    percent_off_bp: int = 0


class PromoOpItemOut(Schema):
    sku_id: int
    mode: str
    amount_off_fen: int
    percent_off_bp: int


class PromoOpTimedDiscountIn(StrictIn):
    name: str
    starts_at: datetime
    ends_at: datetime
    items: list[PromoOpItemIn]


class PromoOpTimedDiscountOut(Schema):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    items: list[PromoOpItemOut]
    status: str
    status_label: str
    created_at: datetime
    updated_at: datetime


class PromoOpQuantityTierIn(StrictIn):
    sku_id: int
    min_quantity: int
    percent_off_bp: int


class PromoOpQuantityTierOut(Schema):
    id: int
    sku_id: int
    min_quantity: int
    percent_off_bp: int


class PromoOpIssueIn(StrictIn):
    """Phone numbers or user ids (either or both)."""

    phones: list[str] = []
    user_ids: list[int] = []


class PromoOpIssueOut(Schema):
    issued: int
    at_limit: int
    not_issued: int
    unknown_user_ids: list[int]
    unknown_phones: list[str]


class PromoOpFiguresOut(Schema):
    id: int
    kind: str
    issued: int | None = None
    used: int | None = None
    orders: int
    gmv_fen: int
    cost_fen: int
