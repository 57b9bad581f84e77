"""A held coupon and the order that uses it.

Placed → the coupon is reserved for the order (a conditional update: of two orders placed at once
with the same coupon exactly one gets it). Paid → used. The order cancelled, unpaid past its time,
or refunded in full after a late payment → given back (available again; if its validity has run out
meanwhile it simply shows as expired). An order refunded in full after it was paid gives it back
when the operator's setting says so. Each call is safe to repeat: it acts only on the coupon still
held by that order in the expected status.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..errors import PromotionCode, PromotionError
from ..models import PromotionSettings, UserCoupon
from .states import COUPON_MACHINE, C


def reserve(*, user_coupon_id: int, user, reference: str, actor=None) -> UserCoupon:
    """Take the buyer's coupon for the order `reference` (in the caller's transaction)."""
    now = timezone.now()
    taken = (
        COUPON_MACHINE.move_if(
            UserCoupon,
            user_coupon_id,
            C.AVAILABLE,
            C.RESERVED,
            actor=actor or user,
            note=gettext("下单占用"),
            event_fields={"reference": reference},
            order_reference=reference,
        )
        if UserCoupon.objects.filter(pk=user_coupon_id, user=user, valid_from__lte=now, valid_until__gt=now).exists()
        else None
    )
    if taken is None:
        raise PromotionError(
            PromotionCode.COUPON_UNAVAILABLE,
            gettext("这张优惠券已被使用或已失效，请重新选择"),
            {"user_coupon_id": user_coupon_id},
            status=409,
        )
    return taken


def consume(*, reference: str, actor=None) -> int:
    """The order `reference` is paid: its reserved coupon is used. Returns how many moved (0 or 1)."""
    moved = 0
    for pk in UserCoupon.objects.filter(order_reference=reference, status=C.RESERVED).values_list("pk", flat=True):
        if COUPON_MACHINE.move_if(
            UserCoupon, pk, C.RESERVED, C.USED, actor=actor, note=gettext("订单付款"), event_fields={"reference": reference}
        ):
            moved += 1
    return moved


def retake(*, user_coupon_id: int, reference: str, actor=None) -> bool:
    """An order paid after it had lapsed takes its coupon again; False when the coupon is gone (used
    by another order or revoked meanwhile): the order is then refunded like one whose stock is gone."""
    current = UserCoupon.objects.filter(pk=user_coupon_id).values_list("status", "order_reference").first()
    if current is None:
        return False
    status, held_for = current
    if status == C.USED and held_for == reference:
        return True
    if status != C.AVAILABLE:
        return False
    return (
        COUPON_MACHINE.move_if(
            UserCoupon,
            user_coupon_id,
            C.AVAILABLE,
            C.USED,
            actor=actor,
            note=gettext("订单付款"),
            event_fields={"reference": reference},
            order_reference=reference,
        )
        is not None
    )


def give_back(*, reference: str, note: str = "", actor=None) -> int:
    """The order `reference` ended without keeping its coupon (cancelled, unpaid past its time, or
    refunded in full): the coupon is available again. The order reference is kept on the row until
    another order takes it, so a late payment can take it again."""
    moved = 0
    rows = UserCoupon.objects.filter(order_reference=reference, status__in=(C.RESERVED, C.USED)).values_list("pk", "status")
    for pk, status in rows:
        if COUPON_MACHINE.move_if(
            UserCoupon,
            pk,
            status,
            C.AVAILABLE,
            actor=actor,
            note=note or gettext("订单关闭，优惠券退回"),
            event_fields={"reference": reference},
            used_at=None,
        ):
            moved += 1
    return moved


def give_back_after_refund(*, reference: str, actor=None) -> int:
    """A paid order refunded in full: its coupon comes back when the operator's setting says so."""
    if not settings_row().return_coupon_on_refund:
        return 0
    return give_back(reference=reference, note=gettext("订单全额退款，优惠券退回"), actor=actor)


def settings_row() -> PromotionSettings:
    row, _created = PromotionSettings.objects.get_or_create(pk=1)
    return row


def issue_gifts(*, user_id: int, coupon_ids: list[int], reference: str) -> int:
    """满减送 gift coupons for a paid order (once per order: a second call finds them issued). A coupon
    that ran out or ended meanwhile is simply not given. Returns how many were issued."""
    from .coupons import issue

    already = set(
        UserCoupon.objects.filter(source=UserCoupon.Source.GIFT, source_reference=reference).values_list("coupon_id", flat=True)
    )
    issued = 0
    for coupon_id in coupon_ids:
        if coupon_id in already:
            continue
        try:
            with transaction.atomic():
                result = issue(
                    coupon_id=coupon_id, user_ids=[user_id], actor=None, source=UserCoupon.Source.GIFT, source_reference=reference
                )
        except (PromotionError, IntegrityError):
            continue  # ended, run out, or the buyer claimed one of the same at this very moment
        issued += len(result.issued)
    return issued


def withdraw_gifts(*, reference: str, actor=None) -> int:
    """The order `reference` was refunded in full: the gift coupons it earned are taken back, unless
    already used (then they stay with the order they paid for). Returns how many were taken back."""
    moved = 0
    rows = UserCoupon.objects.filter(source=UserCoupon.Source.GIFT, source_reference=reference, status=C.AVAILABLE).values_list(
        "pk", flat=True
    )
    for pk in rows:
        if COUPON_MACHINE.move_if(
            UserCoupon,
            pk,
            C.AVAILABLE,
            C.REVOKED,
            actor=actor,
            note=gettext("赠券所属订单已全额退款，收回"),
            event_fields={"reference": reference},
        ):
            moved += 1
    return moved
