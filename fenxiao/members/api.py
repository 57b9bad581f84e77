"""Membership for members (/api/v1/members: my tier and points) and the operator's tiers and grants
(/api/v1/operator/members)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.common.phone import normalize_phone

from . import selectors, services
from .errors import MemberCode, MemberError
from .models import MemberTier, PointsAccount, PointsSource
from .schemas import GrantIn, GrantOut, MemberMeOut, MovementPageOut, MovementQuery, TierIn, TierOut

router = Router(tags=["会员 members"], auth=member_auth)
operator_router = Router(tags=["运营：会员与积分 operator"], auth=member_auth)


def _brief(tier):
    return None if tier is None else {"id": tier.pk, "name": tier.name, "min_spend_fen": tier.min_spend_fen}


def _movement(m) -> dict:
    return {
        "id": m.pk,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "delta": m.delta,
        "available_delta": m.available_delta,
        "frozen_delta": m.frozen_delta,
        "reference": m.reference,
        "note": m.note,
        "at": m.at,
    }


@router.get("/me", response=MemberMeOut, summary="我的会员：等级、周期消费、下一等级、权益与积分")
def me(request):
    view = selectors.overview(current_user(request))
    return {
        "tier": _brief(view.tier),
        "spend_fen": view.spend_fen,
        "window_days": view.window_days,
        "next_tier": _brief(view.next_tier),
        "to_next_fen": view.to_next_fen,
        "progress_bp": view.progress_bp,
        "next_tier_text": selectors.next_tier_text(view),
        "benefits": view.benefits,
        "member_day": view.member_day,
        "is_member_day": view.is_member_day,
        "points": {
            "available": view.points.available,
            "frozen": view.points.frozen,
            "expiring_soon": [{"points": e.points, "expires_at": e.expires_at} for e in view.points.expiring],
            "points_per_yuan_off": view.points_per_yuan_off,
        },
    }


@router.get("/points", response=MovementPageOut, summary="我的积分明细（每页 20 条，新的在前）")
def points(request, q: Query[MovementQuery]):
    page = selectors.movements(current_user(request).pk, kind=q.kind, page=q.page)
    return {"items": [_movement(m) for m in page.items], "page": page.page, "pages": page.pages, "total": page.total}


# --- operator -------------------------------------------------------------------------------------


def _tier(tier: MemberTier) -> dict:
    return {
        f: getattr(tier, f)
        for f in ("id", "name", "min_spend_fen", "points_multiplier_bp", "member_day_discount_bp", "sort", "is_active")
    }


@operator_router.get("/tiers", response=list[TierOut], summary="会员等级（按消费门槛从低到高）")
def list_tiers(request):
    require_staff_perm(request, "members.view_membertier")
    return [_tier(t) for t in MemberTier.objects.order_by("min_spend_fen", "sort", "id")]


@operator_router.post("/tiers", response={201: TierOut}, summary="新增会员等级")
def add_tier(request, payload: TierIn):
    require_staff_perm(request, "members.add_membertier")
    return Status(201, _tier(services.save_tier(**payload.dict())))


@operator_router.put("/tiers/{tier_id}", response=TierOut, summary="修改会员等级")
def put_tier(request, tier_id: int, payload: TierIn):
    require_staff_perm(request, "members.change_membertier")
    return _tier(services.save_tier(tier_id=tier_id, **payload.dict()))


@operator_router.delete("/tiers/{tier_id}", response={204: None}, summary="删除会员等级（有会员处于该等级时不能删除，可停用）")
def remove_tier(request, tier_id: int):
    require_staff_perm(request, "members.delete_membertier")
    services.delete_tier(tier_id=tier_id)
    return Status(204, None)


@operator_router.post("/points/grants", response={201: GrantOut}, summary="向用户发放积分（同一单据号只发放一次）")
def grant_points(request, payload: GrantIn):
    require_staff_perm(request, "members.grant_points")
    users = get_user_model().objects.filter(is_active=True)
    if (payload.user_id is None) == (payload.phone is None):
        raise MemberError(MemberCode.USER_NOT_FOUND, _("请指定用户 ID 或手机号中的一个"), {"fields": ["user_id", "phone"]})
    if payload.user_id is not None:
        user_id = users.filter(pk=payload.user_id).values_list("pk", flat=True).first()
    else:
        user_id = users.filter(phone=normalize_phone(payload.phone or "")).values_list("pk", flat=True).first()
    if user_id is None:
        raise MemberError(MemberCode.USER_NOT_FOUND, _("用户不存在或已停用"), {}, status=404)
    lot = services.grant(
        user_id, payload.points, PointsSource.GRANT, payload.reference, current_user(request), note=payload.note or _("运营发放")
    )
    available = PointsAccount.objects.filter(user_id=user_id).values_list("available", flat=True).first() or 0
    return Status(
        201, {"lot_id": lot.pk, "user_id": user_id, "points": lot.amount, "reference": lot.reference, "available": available}
    )
