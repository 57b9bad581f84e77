"""Campaigns (大促 / 主题日): saving one with the promotions that belong to it, and its switch
(pause, resume, end).

A campaign's coupons, 满减送 and timed discounts lie within its window: a 满减送 or a timed discount
runs between the campaign's start and end, a coupon can be had (its claim window, else its validity
dates) between them. `check_promotion` is the rule, for whoever saves a promotion with a campaign.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..errors import PromotionCode, PromotionError
from ..models import MAX_EARLY_ACCESS_HOURS, Campaign, Coupon, FullReduction, RunStatus, TimedDiscount
from ..selectors_campaigns import coupon_window

# Allowed moves of the operator's switch.
MOVES: dict[str, set[str]] = {
    RunStatus.PAUSED: {RunStatus.ACTIVE},
    RunStatus.ACTIVE: {RunStatus.PAUSED},
    RunStatus.ENDED: {RunStatus.ACTIVE, RunStatus.PAUSED},
}


def _invalid(message: str, **detail) -> PromotionError:
    return PromotionError(PromotionCode.INVALID_PROMOTION, message, detail)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def promotion_window(promotion: Coupon | FullReduction | TimedDiscount) -> tuple[datetime | None, datetime | None]:
    if isinstance(promotion, Coupon):
        return coupon_window(promotion)
    return promotion.starts_at, promotion.ends_at


def check_promotion(campaign: Campaign, promotion: Coupon | FullReduction | TimedDiscount) -> None:
    """Refuses a promotion whose window does not lie within the campaign's."""
    starts, ends = promotion_window(promotion)
    detail = {"campaign_id": campaign.pk, "promotion": promotion.name, "field": "promotions"}
    if starts is None or ends is None:
        raise _invalid(
            gettext("“%(name)s”须设置开始和结束时间（优惠券为领取时间），才能加入活动") % {"name": promotion.name}, **detail
        )
    if starts < campaign.starts_at or ends > campaign.ends_at:
        raise _invalid(
            gettext("“%(name)s”的时间（%(start)s 至 %(end)s）须在活动时间（%(cstart)s 至 %(cend)s）之内")
            % {
                "name": promotion.name,
                "start": _when(starts),
                "end": _when(ends),
                "cstart": _when(campaign.starts_at),
                "cend": _when(campaign.ends_at),
            },
            **detail,
        )


def check_campaign(campaign: Campaign) -> None:
    """The campaign's own fields: a window, a bounded early access."""
    if not (campaign.name or "").strip():
        raise _invalid(gettext("请填写活动名称"), field="name")
    if campaign.starts_at is None or campaign.ends_at is None:
        raise _invalid(gettext("请填写活动的开始和结束时间"), field="starts_at")
    if campaign.ends_at <= campaign.starts_at:
        raise _invalid(gettext("结束时间须晚于开始时间"), field="ends_at")
    if not 0 <= campaign.early_access_hours <= MAX_EARLY_ACCESS_HOURS:
        raise _invalid(
            gettext("优先时长须在 0 到 %(max)s 小时之间") % {"max": MAX_EARLY_ACCESS_HOURS}, field="early_access_hours"
        )


def save_campaign(
    *,
    campaign: Campaign,
    actor,
    levels: Iterable | None = None,
    coupons: Iterable[Coupon] | None = None,
    full_reductions: Iterable[FullReduction] | None = None,
    timed_discounts: Iterable[TimedDiscount] | None = None,
) -> Campaign:
    """Create or change a campaign; each of `levels` (early access) and the three promotion lists,
    when given, replaces what the campaign had (promotions left out leave the campaign). Every
    promotion it ends up with, kept or new, must lie within its window; nothing is saved otherwise."""
    check_campaign(campaign)
    wanted: dict[Any, list[Any] | None] = {
        Coupon: list(coupons) if coupons is not None else None,
        FullReduction: list(full_reductions) if full_reductions is not None else None,
        TimedDiscount: list(timed_discounts) if timed_discounts is not None else None,
    }
    with transaction.atomic():
        if campaign.pk is None and actor is not None and getattr(actor, "pk", None):
            campaign.created_by = actor
        campaign.save()
        if levels is not None:
            campaign.early_access_levels.set(levels)
        for model, chosen in wanted.items():
            if chosen is None:
                members = list(model.objects.filter(campaign=campaign))
            else:
                members = chosen
                model.objects.filter(campaign=campaign).exclude(pk__in=[p.pk for p in chosen]).update(campaign=None)
                model.objects.filter(pk__in=[p.pk for p in chosen]).update(campaign=campaign)
            for promotion in members:
                check_promotion(campaign, promotion)
    return campaign


def set_status(*, campaign_id: int, status: str, actor=None) -> Campaign:
    """Pause, resume or end a campaign (an ended one stays ended). Its promotions keep their own
    switches: pausing the campaign takes it off the pages and out of early access."""
    if status not in RunStatus.values:
        raise _invalid(gettext("状态不正确"), status=status)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise PromotionError(
                PromotionCode.PROMOTION_NOT_FOUND, gettext("活动不存在"), {"campaign_id": campaign_id}, status=404
            )
        if campaign.status == status:
            return campaign
        if campaign.status not in MOVES.get(status, set()):
            raise PromotionError(
                PromotionCode.INVALID_TRANSITION,
                gettext("活动“%(name)s”当前为%(status)s，不能改为%(target)s")
                % {"name": campaign.name, "status": campaign.get_status_display(), "target": RunStatus(status).label},
                {"campaign_id": campaign.pk, "status": campaign.status, "target": status},
                status=409,
            )
        campaign.status = status
        campaign.save(update_fields=["status", "updated_at"])
    return campaign
