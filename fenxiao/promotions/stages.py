"""The stages of the price pipeline, in the order they apply. Each stage works on the amount the
earlier ones left (never on the list price); what each took off each line is kept on the order line."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriceStage(models.TextChoices):
    ACTIVITY = "activity", _("活动价")
    MEMBER = "member", _("会员价")
    TIMED = "timed", _("限时折扣")
    TIER = "tier", _("阶梯价")
    FULL_REDUCTION = "full_reduction", _("满减")
    COUPON = "coupon", _("优惠券")
    POINTS = "points", _("积分抵扣")


#: The order the stages run in. An activity order (秒杀, 拼团, 砍价) takes its activity price first and
#: then no member price, timed discount, tier price, 满减 or coupon; points only if the activity allows. A stage that works per unit (member price, timed discount, tier
#: price) comes before those that work on the order's amount and are spread over its lines.
STAGE_ORDER: tuple[str, ...] = (
    PriceStage.ACTIVITY,
    PriceStage.MEMBER,
    PriceStage.TIMED,
    PriceStage.TIER,
    PriceStage.FULL_REDUCTION,
    PriceStage.COUPON,
    PriceStage.POINTS,
)
UNIT_STAGES = frozenset({PriceStage.ACTIVITY, PriceStage.MEMBER, PriceStage.TIMED, PriceStage.TIER})
