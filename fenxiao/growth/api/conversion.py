"""The operator's consumer-to-distributor conversion figures: /api/v1/operator/growth/conversion."""

from __future__ import annotations

from datetime import date

from ninja import Field, Query, Router, Schema

from fenxiao.accounts.auth import member_auth, require_staff_perm

from .. import selectors

operator_router = Router(tags=["运营：消费者转化 operator"], auth=member_auth)

CONVERSION_PERM = "growth.view_applyinvitation"


class FunnelOut(Schema):
    label: str
    invited: int
    applied: int
    became: int
    applied_rate_bp: int
    rate_bp: int
    rate: str


class BuyersOut(Schema):
    consumers: int
    now_distributors: int
    rate_bp: int
    rate: str


class ConversionOut(Schema):
    start: date = Field(..., alias="from")
    end: date = Field(..., alias="to")
    total: FunnelOut
    months: list[FunnelOut]
    median_days_to_approval: str | None
    buyers: BuyersOut


class ConversionFilter(Schema):
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")


def _funnel(f: selectors.Funnel) -> dict:
    return {
        "label": f.label,
        "invited": f.invited,
        "applied": f.applied,
        "became": f.became,
        "applied_rate_bp": f.applied_rate_bp,
        "rate_bp": f.rate_bp,
        "rate": f.rate_text,
    }


@operator_router.get(
    "/conversion",
    response=ConversionOut,
    by_alias=True,
    summary="消费者转化为分销商：按邀请日期统计邀请、申请、成为分销商与转化率（默认近 30 天）",
)
def conversion(request, filters: Query[ConversionFilter]):
    require_staff_perm(request, CONVERSION_PERM)
    report = selectors.conversion(filters.start, filters.end)
    return {
        "from": report.start,
        "to": report.end,
        "total": _funnel(report.total),
        "months": [_funnel(m) for m in report.months],
        "median_days_to_approval": report.median_wait_days_text or None,
        "buyers": {
            "consumers": report.buyers,
            "now_distributors": report.buyers_now_distributors,
            "rate_bp": report.buyers_rate_bp,
            "rate": report.buyers_rate_text,
        },
    }
