"""Issuing a coupon to a group of people the operator describes rather than lists.

The promotions app may not read orders (orders sit above it), so the people of a segment are worked
out here, in the console, and handed to `promotions.services.coupons.issue` as a list:

- `{"distributor_level": <level id>}`: approved distributors at that level;
- `{"member_tier": <tier id>}`: the members of that consumer tier (the entry tier: also everybody who
  has no other);
- `{"bought_within_days": N}`: everybody with an order paid in the last N days.

Staff accounts are never part of a segment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.distribution.models import Distributor, Level
from fenxiao.members import selectors as member_selectors
from fenxiao.members.models import MemberTier
from fenxiao.orders.models import Order
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.services import coupons
from fenxiao.promotions.services.coupons import IssueResult

MAX_DAYS = 3660
SEGMENTS = ("distributor_level", "member_tier", "bought_within_days")


def _invalid(message: str, segment: dict) -> PromotionError:
    return PromotionError(PromotionCode.INVALID_PROMOTION, message, {"segment": segment, "segments": list(SEGMENTS)})


def _positive_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and str(number) == str(value).strip() else None


def segment_user_ids(segment: dict) -> list[int]:
    """The ids of the people of `segment` (exactly one key of SEGMENTS), members only, in id order."""
    if not isinstance(segment, dict) or len(segment) != 1 or next(iter(segment)) not in SEGMENTS:
        raise _invalid(
            gettext("请选择一个发放人群：分销商等级、会员等级或最近购买"), segment if isinstance(segment, dict) else {}
        )
    key, raw = next(iter(segment.items()))
    value = _positive_int(raw)
    members = get_user_model().objects.filter(is_active=True, is_staff=False)
    people: Any
    if key == "distributor_level":
        if value is None or not Level.objects.filter(pk=value).exists():
            raise _invalid(gettext("分销商等级不存在"), segment)
        people = Distributor.objects.filter(level_id=value, status=Distributor.Status.APPROVED).values("user_id")
    elif key == "member_tier":
        if value is None or not MemberTier.objects.filter(pk=value, is_active=True).exists():
            raise _invalid(gettext("会员等级不存在或已停用"), segment)
        return list(members.filter(member_selectors.in_tier_q(value)).order_by("pk").values_list("pk", flat=True))
    else:
        if value is None or value > MAX_DAYS:
            raise _invalid(gettext("最近购买天数应为 1 到 %(max)s 之间的整数") % {"max": MAX_DAYS}, segment)
        since = timezone.now() - timedelta(days=value)
        people = Order.objects.filter(paid_at__gte=since).values("user_id")
    return list(members.filter(pk__in=people).order_by("pk").values_list("pk", flat=True))


def issue_to_segment(*, coupon_id: int, segment: dict, actor) -> IssueResult:
    """One coupon of `coupon_id` to each person of `segment`, like an issue to a list."""
    if actor is None or not actor.has_perm(coupons.PERMISSION):
        raise PermissionDenied
    user_ids = segment_user_ids(segment)
    key = next(iter(segment))
    return coupons.issue(
        coupon_id=coupon_id,
        user_ids=user_ids,
        actor=actor,
        source=coupons.Source.ISSUE,
        source_reference=f"{key}:{segment[key]}"[:40],
    )
