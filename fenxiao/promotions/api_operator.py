"""The operator's promotions API, mounted at /api/v1/operator/promotions: coupons, 满减送, timed
discounts and tier prices (list, create, read, change), pause / resume / end, issuing coupons, and
each activity's figures. Every write goes through `services.rules` (or `services.coupons.issue`).

The figures of orders (orders, GMV, cost) are read by the orders app, which sits above this one; it
reaches this API through `fenxiao.promotions.figures`, where its reader is registered at start-up."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.common.phone import normalize_phone

from . import selectors
from .errors import PromotionCode, PromotionError
from .figures import figures
from .models import Coupon, FullReduction, PromotionAudit, QuantityTier, TimedDiscount, UserCoupon
from .schemas_operator import (
    PromoOpCouponIn,
    PromoOpCouponOut,
    PromoOpFiguresOut,
    PromoOpFullReductionIn,
    PromoOpFullReductionOut,
    PromoOpIssueIn,
    PromoOpIssueOut,
    PromoOpQuantityTierIn,
    PromoOpQuantityTierOut,
    PromoOpTimedDiscountIn,
    PromoOpTimedDiscountOut,
)
from .services import coupons as coupon_service
from .services import rules

router = Router(tags=["运营：营销 operator"], auth=member_auth)
Kind = PromotionAudit.Kind
MAX_PAGE = 200
MAX_ISSUE = 2000


class PromoOpListQuery(Schema):
    status: str | None = None
    limit: int = 50
    offset: int = 0


def _page(queryset, filters: PromoOpListQuery):
    if not 1 <= filters.limit <= MAX_PAGE or filters.offset < 0:
        raise PromotionError(
            PromotionCode.INVALID_PROMOTION, gettext("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset}
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset[filters.offset : filters.offset + filters.limit]


def _get(model, kind: str, object_id: int, *related: str):
    obj = model._default_manager.prefetch_related(*related).filter(pk=object_id).first()
    if obj is None:
        raise PromotionError(
            PromotionCode.PROMOTION_NOT_FOUND, gettext("活动不存在"), {"kind": str(kind), "id": object_id}, status=404
        )
    return obj


def _status(obj) -> dict[str, Any]:
    return {"status": obj.status, "status_label": obj.get_status_display()}


# --- shapes -------------------------------------------------------------------------------------------


def _coupon(coupon: Coupon) -> dict[str, Any]:
    return {
        **{name: getattr(coupon, name) for name in rules.COUPON_FIELDS},
        "id": coupon.pk,
        "text": selectors.describe(coupon),
        "categories": sorted(c.pk for c in coupon.categories.all()),
        "products": sorted(p.pk for p in coupon.products.all()),
        "issued_count": coupon.issued_count,
        "created_at": coupon.created_at,
        "updated_at": coupon.updated_at,
        **_status(coupon),
    }


def _full_reduction(rule: FullReduction) -> dict[str, Any]:
    return {
        **{name: getattr(rule, name) for name in rules.FULL_REDUCTION_FIELDS},
        "id": rule.pk,
        "categories": sorted(c.pk for c in rule.categories.all()),
        "products": sorted(p.pk for p in rule.products.all()),
        "tiers": [
            {name: getattr(t, name) for name in rules.TIER_FIELDS} for t in sorted(rule.tiers.all(), key=lambda t: t.threshold)
        ],
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
        **_status(rule),
    }


def _timed_discount(discount: TimedDiscount) -> dict[str, Any]:
    return {
        **{name: getattr(discount, name) for name in rules.TIMED_DISCOUNT_FIELDS},
        "id": discount.pk,
        "items": [
            {name: getattr(i, name) for name in rules.ITEM_FIELDS} for i in sorted(discount.items.all(), key=lambda i: i.sku_id)
        ],
        "created_at": discount.created_at,
        "updated_at": discount.updated_at,
        **_status(discount),
    }


def _tier(tier: QuantityTier) -> dict[str, Any]:
    return {"id": tier.pk, "sku_id": tier.sku_id, "min_quantity": tier.min_quantity, "percent_off_bp": tier.percent_off_bp}


COUPON_RELATED = ("categories", "products")
RULE_RELATED = ("categories", "products", "tiers")
ITEMS_RELATED = ("items",)


def _moved(request, kind: str, object_id: int, move: str, note: str) -> None:
    """Pause, resume or end through `rules.change_status` (resuming is refused with
    `activity_overlap` when another active one now overlaps)."""
    rules.change_status(kind=kind, object_id=object_id, move=move, actor=current_user(request), note=note)


def _figures(kind: str, object_id: int) -> dict[str, Any]:
    row = figures(kind, [object_id])[object_id]
    return {"id": object_id, "kind": str(kind), **row}


# --- coupons ------------------------------------------------------------------------------------------


@router.get("/coupons", response=list[PromoOpCouponOut], summary="优惠券列表")
def list_coupons(request, filters: Query[PromoOpListQuery]):
    require_staff_perm(request, "promotions.view_coupon")
    return [_coupon(c) for c in _page(Coupon.objects.prefetch_related(*COUPON_RELATED), filters)]


@router.post("/coupons", response={201: PromoOpCouponOut}, summary="新建优惠券")
def create_coupon(request, payload: PromoOpCouponIn):
    require_staff_perm(request, "promotions.add_coupon")
    coupon = rules.save_coupon(actor=current_user(request), **payload.dict())
    return Status(201, _coupon(_get(Coupon, Kind.COUPON, coupon.pk, *COUPON_RELATED)))


@router.get("/coupons/{coupon_id}", response=PromoOpCouponOut, summary="优惠券详情")
def get_coupon(request, coupon_id: int):
    require_staff_perm(request, "promotions.view_coupon")
    return _coupon(_get(Coupon, Kind.COUPON, coupon_id, *COUPON_RELATED))


@router.put("/coupons/{coupon_id}", response=PromoOpCouponOut, summary="修改优惠券（已发放的不能改面额、门槛和有效期方式）")
def update_coupon(request, coupon_id: int, payload: PromoOpCouponIn):
    require_staff_perm(request, "promotions.change_coupon")
    rules.save_coupon(actor=current_user(request), coupon_id=coupon_id, **payload.dict())
    return _coupon(_get(Coupon, Kind.COUPON, coupon_id, *COUPON_RELATED))


@router.get("/coupons/{coupon_id}/figures", response=PromoOpFiguresOut, summary="优惠券成效：发放、使用、订单、成交额、成本")
def coupon_figures(request, coupon_id: int):
    require_staff_perm(request, "promotions.view_coupon")
    _get(Coupon, Kind.COUPON, coupon_id)
    return _figures(Kind.COUPON, coupon_id)


def _users_of(phones: list[str]) -> tuple[list[int], list[str]]:
    wanted = list(dict.fromkeys(normalize_phone(p) for p in phones if str(p).strip()))
    found = dict(get_user_model().objects.filter(phone__in=wanted, is_active=True).values_list("phone", "pk"))
    return [found[p] for p in wanted if p in found], [p for p in wanted if p not in found]


@router.post("/coupons/{coupon_id}/issue", response=PromoOpIssueOut, summary="向用户发放优惠券（手机号或用户编号）")
def issue_coupon(request, coupon_id: int, payload: PromoOpIssueIn):
    require_staff_perm(request, "promotions.issue_coupon")
    if not payload.phones and not payload.user_ids:
        raise PromotionError(PromotionCode.INVALID_PROMOTION, gettext("请填写手机号或用户编号"), {"field": "phones"})
    if len(payload.phones) + len(payload.user_ids) > MAX_ISSUE:
        raise PromotionError(
            PromotionCode.INVALID_PROMOTION, gettext("一次最多发放 %(max)d 人") % {"max": MAX_ISSUE}, {"field": "phones"}
        )
    by_phone, unknown_phones = _users_of(payload.phones)
    result = coupon_service.issue(
        coupon_id=coupon_id, user_ids=[*by_phone, *payload.user_ids], actor=current_user(request), source=UserCoupon.Source.ISSUE
    )
    return {
        "issued": result.issued_count,
        "at_limit": len(result.at_limit),
        "not_issued": len(result.not_issued),
        "unknown_user_ids": result.unknown,
        "unknown_phones": unknown_phones,
    }


@router.post("/coupons/{coupon_id}/pause", response=PromoOpCouponOut, summary="暂停优惠券")
def pause_coupon(request, coupon_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_coupon")
    _moved(request, Kind.COUPON, coupon_id, "pause", note)
    return _coupon(_get(Coupon, Kind.COUPON, coupon_id, *COUPON_RELATED))


@router.post("/coupons/{coupon_id}/resume", response=PromoOpCouponOut, summary="恢复优惠券")
def resume_coupon(request, coupon_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_coupon")
    _moved(request, Kind.COUPON, coupon_id, "resume", note)
    return _coupon(_get(Coupon, Kind.COUPON, coupon_id, *COUPON_RELATED))


@router.post(
    "/coupons/{coupon_id}/end", response=PromoOpCouponOut, summary="结束优惠券（不可恢复）；已领取的券在有效期内仍可使用"
)
def end_coupon(request, coupon_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_coupon")
    _moved(request, Kind.COUPON, coupon_id, "end", note)
    return _coupon(_get(Coupon, Kind.COUPON, coupon_id, *COUPON_RELATED))


# --- 满减送 ---------------------------------------------------------------------------------------------


def _rule_values(payload: PromoOpFullReductionIn) -> dict[str, Any]:
    data = payload.dict()
    data["tiers"] = [dict(t) for t in data["tiers"]]
    return data


@router.get("/full-reductions", response=list[PromoOpFullReductionOut], summary="满减送列表")
def list_full_reductions(request, filters: Query[PromoOpListQuery]):
    require_staff_perm(request, "promotions.view_fullreduction")
    return [_full_reduction(r) for r in _page(FullReduction.objects.prefetch_related(*RULE_RELATED), filters)]


@router.post("/full-reductions", response={201: PromoOpFullReductionOut}, summary="新建满减送（同一商品同一时间只能参加一个）")
def create_full_reduction(request, payload: PromoOpFullReductionIn):
    require_staff_perm(request, "promotions.add_fullreduction")
    rule = rules.save_full_reduction(actor=current_user(request), **_rule_values(payload))
    return Status(201, _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule.pk, *RULE_RELATED)))


@router.get("/full-reductions/{rule_id}", response=PromoOpFullReductionOut, summary="满减送详情")
def get_full_reduction(request, rule_id: int):
    require_staff_perm(request, "promotions.view_fullreduction")
    return _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule_id, *RULE_RELATED))


@router.put("/full-reductions/{rule_id}", response=PromoOpFullReductionOut, summary="修改满减送（档位整体替换）")
def update_full_reduction(request, rule_id: int, payload: PromoOpFullReductionIn):
    require_staff_perm(request, "promotions.change_fullreduction")
    rules.save_full_reduction(actor=current_user(request), rule_id=rule_id, **_rule_values(payload))
    return _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule_id, *RULE_RELATED))


@router.get("/full-reductions/{rule_id}/figures", response=PromoOpFiguresOut, summary="满减送成效：订单、成交额、成本")
def full_reduction_figures(request, rule_id: int):
    require_staff_perm(request, "promotions.view_fullreduction")
    _get(FullReduction, Kind.FULL_REDUCTION, rule_id)
    return _figures(Kind.FULL_REDUCTION, rule_id)


@router.post("/full-reductions/{rule_id}/pause", response=PromoOpFullReductionOut, summary="暂停满减送")
def pause_full_reduction(request, rule_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_fullreduction")
    _moved(request, Kind.FULL_REDUCTION, rule_id, "pause", note)
    return _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule_id, *RULE_RELATED))


@router.post(
    "/full-reductions/{rule_id}/resume", response=PromoOpFullReductionOut, summary="恢复满减送（与进行中的活动重叠时拒绝）"
)
def resume_full_reduction(request, rule_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_fullreduction")
    _moved(request, Kind.FULL_REDUCTION, rule_id, "resume", note)
    return _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule_id, *RULE_RELATED))


@router.post("/full-reductions/{rule_id}/end", response=PromoOpFullReductionOut, summary="结束满减送（不可恢复）")
def end_full_reduction(request, rule_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_fullreduction")
    _moved(request, Kind.FULL_REDUCTION, rule_id, "end", note)
    return _full_reduction(_get(FullReduction, Kind.FULL_REDUCTION, rule_id, *RULE_RELATED))


# --- timed discounts -------------------------------------------------------------------------------------


def _discount_values(payload: PromoOpTimedDiscountIn) -> dict[str, Any]:
    data = payload.dict()
    data["items"] = [dict(i) for i in data["items"]]
    return data


@router.get("/timed-discounts", response=list[PromoOpTimedDiscountOut], summary="限时折扣列表")
def list_timed_discounts(request, filters: Query[PromoOpListQuery]):
    require_staff_perm(request, "promotions.view_timeddiscount")
    return [_timed_discount(d) for d in _page(TimedDiscount.objects.prefetch_related(*ITEMS_RELATED), filters)]


@router.post("/timed-discounts", response={201: PromoOpTimedDiscountOut}, summary="新建限时折扣（同一商品同一时间只能参加一个）")
def create_timed_discount(request, payload: PromoOpTimedDiscountIn):
    require_staff_perm(request, "promotions.add_timeddiscount")
    discount = rules.save_timed_discount(actor=current_user(request), **_discount_values(payload))
    return Status(201, _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount.pk, *ITEMS_RELATED)))


@router.get("/timed-discounts/{discount_id}", response=PromoOpTimedDiscountOut, summary="限时折扣详情")
def get_timed_discount(request, discount_id: int):
    require_staff_perm(request, "promotions.view_timeddiscount")
    return _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id, *ITEMS_RELATED))


@router.put("/timed-discounts/{discount_id}", response=PromoOpTimedDiscountOut, summary="修改限时折扣（SKU 整体替换）")
def update_timed_discount(request, discount_id: int, payload: PromoOpTimedDiscountIn):
    require_staff_perm(request, "promotions.change_timeddiscount")
    rules.save_timed_discount(actor=current_user(request), discount_id=discount_id, **_discount_values(payload))
    return _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id, *ITEMS_RELATED))


@router.get("/timed-discounts/{discount_id}/figures", response=PromoOpFiguresOut, summary="限时折扣成效：订单、成交额、成本")
def timed_discount_figures(request, discount_id: int):
    require_staff_perm(request, "promotions.view_timeddiscount")
    _get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id)
    return _figures(Kind.TIMED_DISCOUNT, discount_id)


@router.post("/timed-discounts/{discount_id}/pause", response=PromoOpTimedDiscountOut, summary="暂停限时折扣")
def pause_timed_discount(request, discount_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_timeddiscount")
    _moved(request, Kind.TIMED_DISCOUNT, discount_id, "pause", note)
    return _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id, *ITEMS_RELATED))


@router.post(
    "/timed-discounts/{discount_id}/resume", response=PromoOpTimedDiscountOut, summary="恢复限时折扣（与进行中的活动重叠时拒绝）"
)
def resume_timed_discount(request, discount_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_timeddiscount")
    _moved(request, Kind.TIMED_DISCOUNT, discount_id, "resume", note)
    return _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id, *ITEMS_RELATED))


@router.post("/timed-discounts/{discount_id}/end", response=PromoOpTimedDiscountOut, summary="结束限时折扣（不可恢复）")
def end_timed_discount(request, discount_id: int, note: str = ""):
    require_staff_perm(request, "promotions.change_timeddiscount")
    _moved(request, Kind.TIMED_DISCOUNT, discount_id, "end", note)
    return _timed_discount(_get(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id, *ITEMS_RELATED))


# --- tier prices --------------------------------------------------------------------------------------------


@router.get("/quantity-tiers", response=list[PromoOpQuantityTierOut], summary="阶梯价列表")
def list_quantity_tiers(request, sku_id: int | None = None):
    require_staff_perm(request, "promotions.view_quantitytier")
    queryset = QuantityTier.objects.all()
    if sku_id is not None:
        queryset = queryset.filter(sku_id=sku_id)
    return [_tier(t) for t in queryset[:MAX_PAGE]]


@router.post("/quantity-tiers", response={201: PromoOpQuantityTierOut}, summary="新建阶梯价")
def create_quantity_tier(request, payload: PromoOpQuantityTierIn):
    require_staff_perm(request, "promotions.add_quantitytier")
    return Status(201, _tier(rules.save_quantity_tier(actor=current_user(request), **payload.dict())))


@router.get("/quantity-tiers/{tier_id}", response=PromoOpQuantityTierOut, summary="阶梯价详情")
def get_quantity_tier(request, tier_id: int):
    require_staff_perm(request, "promotions.view_quantitytier")
    return _tier(_get(QuantityTier, Kind.QUANTITY_TIER, tier_id))


@router.put("/quantity-tiers/{tier_id}", response=PromoOpQuantityTierOut, summary="修改阶梯价")
def update_quantity_tier(request, tier_id: int, payload: PromoOpQuantityTierIn):
    require_staff_perm(request, "promotions.change_quantitytier")
    return _tier(rules.save_quantity_tier(actor=current_user(request), tier_id=tier_id, **payload.dict()))
