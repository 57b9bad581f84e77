"""Campaigns for members: /api/v1/campaigns/{id} — a campaign's landing page as data: its period and
where it stands for the caller (an early-access distributor sees it open before the others), its
coupons, its 满减送 tiers in words and the products of its timed discounts with the discounted price."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema
from pydantic import Field

from fenxiao.accounts.auth import current_user, member_auth

from . import selectors_campaigns
from .errors import PromotionCode, PromotionError
from .schemas import CouponInfoOut

router = Router(tags=["营销活动 campaigns"], auth=member_auth)


class CampaignCouponOut(Schema):
    coupon: CouponInfoOut
    validity_text: str = Field(description="有效期，例如 领取后 7 天内有效")
    claimable: bool = Field(description="此刻能否在活动页领取")


class CampaignReductionOut(Schema):
    id: int
    name: str
    tiers: list[str] = Field(description="各档位的文字，例如 满 ¥199 减 ¥30 · 包邮")


class CampaignDealOut(Schema):
    product_id: int
    product_name: str
    sku_id: int
    spec: str
    price_fen: int = Field(description="原价（分）")
    deal_fen: int = Field(description="限时折扣价（分）")
    discount_name: str


class CampaignOut(Schema):
    id: int
    name: str
    kind: str = Field(description="sale 大促 / theme_day 主题日")
    description: str
    banner_url: str | None
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime = Field(description="对调用者开放的时间（优先等级的分销商更早）")
    phase: str = Field(description="upcoming 即将开始 / early 优先购 / running 进行中 / ended 已结束")
    early_access_hours: int = Field(description="调用者可提前的小时数；0 为不提前")
    coupons: list[CampaignCouponOut]
    full_reductions: list[CampaignReductionOut]
    deals: list[CampaignDealOut]


def _coupon_info(coupon, entry) -> dict:
    return {
        "id": coupon.pk,
        "name": coupon.name,
        "kind": coupon.kind,
        "amount_fen": coupon.amount_fen,
        "percent_off_bp": coupon.percent_off_bp,
        "cap_fen": coupon.cap_fen,
        "threshold_fen": coupon.threshold_fen,
        "scope": coupon.scope,
        "text": entry.text,
        "scope_text": entry.scope,
        "description": coupon.description,
    }


@router.get("/{campaign_id}", response=CampaignOut, summary="营销活动详情（活动页）")
def campaign_detail(request, campaign_id: int):
    page = selectors_campaigns.landing(campaign_id, user=current_user(request), now=timezone.now())
    if page is None:
        raise PromotionError(
            PromotionCode.PROMOTION_NOT_FOUND, gettext("活动不存在或已下线"), {"campaign_id": campaign_id}, status=404
        )
    campaign = page.campaign
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "kind": campaign.kind,
        "description": campaign.description,
        "banner_url": campaign.banner.url if campaign.banner else None,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "opens_at": page.opens_at,
        "phase": page.phase,
        "early_access_hours": int(page.early.total_seconds() // 3600) if page.early else 0,
        "coupons": [
            {
                "coupon": _coupon_info(entry.coupon, entry),
                "validity_text": entry.validity,
                "claimable": page.is_open and entry.coupon.claimable and entry.coupon.status == "active",
            }
            for entry in page.coupons
        ],
        "full_reductions": [{"id": e.rule.pk, "name": e.rule.name, "tiers": e.tiers} for e in page.reductions],
        "deals": [
            {
                "product_id": d.product_id,
                "product_name": d.product_name,
                "sku_id": d.sku_id,
                "spec": d.spec,
                "price_fen": d.price_fen,
                "deal_fen": d.deal_fen,
                "discount_name": d.discount_name,
            }
            for d in page.deals
        ],
    }
