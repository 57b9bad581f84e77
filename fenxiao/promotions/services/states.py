"""The status table of a held coupon, and its one transition helper."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from fenxiao.common.transitions import StateMachine

from ..errors import PromotionCode, PromotionError
from ..models import UserCoupon, UserCouponEvent

C = UserCoupon.Status

COUPON_TRANSITIONS: dict[str, set[str]] = {
    C.AVAILABLE: {C.RESERVED, C.USED, C.REVOKED},
    C.RESERVED: {C.AVAILABLE, C.USED},
    C.USED: {C.AVAILABLE, C.REVOKED},
    C.REVOKED: set(),
}

COUPON_MACHINE = StateMachine(
    table=COUPON_TRANSITIONS,
    labels=UserCoupon.Status,
    error=PromotionError,
    code=PromotionCode.INVALID_TRANSITION,
    event_model=UserCouponEvent,
    event_fk="user_coupon",
    stamps={C.USED: "used_at"},
    what=gettext_lazy("优惠券"),
)
