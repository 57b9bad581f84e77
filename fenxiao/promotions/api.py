"""Coupons for members: /api/v1/coupons — the coupon centre, claiming, and my coupons by tab."""

from ninja import Query, Router, Status

from fenxiao.accounts.auth import current_user, member_auth

from . import selectors
from .models import Coupon, UserCoupon
from .schemas import CouponCentreOut, CouponWalletOut, CouponWalletQuery, UserCouponOut
from .services import coupons

router = Router(tags=["优惠券 coupons"], auth=member_auth)


def coupon_info(coupon: Coupon) -> dict:
    return {
        "id": coupon.pk,
        "name": coupon.name,
        "kind": coupon.kind,
        "amount_fen": coupon.amount_fen,
        "percent_off_bp": coupon.percent_off_bp,
        "cap_fen": coupon.cap_fen,
        "threshold_fen": coupon.threshold_fen,
        "scope": coupon.scope,
        "text": selectors.value_text(coupon),
        "scope_text": selectors.scope_text(coupon),
        "description": coupon.description,
    }


def held_dict(held: UserCoupon) -> dict:
    return {
        "id": held.pk,
        "coupon": coupon_info(held.coupon),
        "status": held.status,
        "status_label": held.get_status_display(),
        "source": held.source,
        "valid_from": held.valid_from,
        "valid_until": held.valid_until,
        "claimed_at": held.claimed_at,
        "used_at": held.used_at,
        "order_reference": held.order_reference,
    }


@router.get("/centre", response=list[CouponCentreOut], summary="领券中心：可领取的优惠券")
def centre(request):
    return [
        {
            "coupon": coupon_info(entry.coupon),
            "validity_text": entry.validity,
            "claim_ends_at": entry.coupon.claim_ends_at,
            "remaining": entry.remaining,
            "per_person_limit": entry.coupon.per_person_limit,
            "held": entry.held,
            "can_claim": entry.can_claim,
        }
        for entry in selectors.coupon_centre(current_user(request))
    ]


@router.post("/{coupon_id}/claim", response={201: UserCouponOut}, summary="领取优惠券（每人限领、发完即止）")
def claim(request, coupon_id: int):
    held = coupons.claim(user=current_user(request), coupon_id=coupon_id)
    return Status(201, held_dict(held))


@router.get("/mine", response=CouponWalletOut, summary="我的优惠券（可使用 / 已使用 / 已过期）")
def mine(request, q: Query[CouponWalletQuery]):
    page = selectors.wallet(current_user(request), q.tab)
    return {"tab": page.tab, "counts": page.counts, "items": [held_dict(entry.held) for entry in page.entries]}
