"""The points mall (积分商城): coupons and products exchanged for points.

A coupon is exchanged here, at once: the points are spent under the exchange's own reference
("mall:<hex>") and the coupon is issued with that reference. A product becomes an order, which the
orders app places (`fenxiao.orders.services.mall`): it calls `open_item` to check the item, then
`record_exchange` with the order's reference, and `return_for_order` when the order is cancelled or
expires unpaid; the order spends and gives back the points itself, as any order does.

The limits hold under parallel requests on SQLite and PostgreSQL without reading then writing, as
for coupons:

- the total: one conditional UPDATE takes a unit (`exchanged_count < total_quantity`), so of two
  exchanges of the last unit exactly one gets it;
- per person: each exchange has a number unique per (item, person); of two parallel exchanges the
  second hits the unique constraint, counts again and is refused once the exchanges still in force
  would pass the limit (a returned exchange does not count).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.members.errors import MemberCode, MemberError
from fenxiao.members.services import points as member_points

from ..errors import PromotionCode, PromotionError
from ..models import PointsExchange, PointsMallItem, RunStatus, UserCoupon
from . import coupons

K = PointsMallItem.Kind
X = PointsExchange.Status


def _not_found(item_id) -> PromotionError:
    return PromotionError(PromotionCode.MALL_ITEM_NOT_FOUND, gettext("积分商城没有这件商品"), {"item_id": item_id}, status=404)


def _sold_out(item: PointsMallItem) -> PromotionError:
    return PromotionError(
        PromotionCode.MALL_SOLD_OUT, gettext("“%(name)s”已经兑换完了") % {"name": item.name}, {"item_id": item.pk}, status=409
    )


def _limit_reached(item: PointsMallItem) -> PromotionError:
    return PromotionError(
        PromotionCode.MALL_LIMIT,
        gettext("“%(name)s”每人限兑 %(limit)s 次，你已经兑换过了") % {"name": item.name, "limit": item.per_person_limit},
        {"item_id": item.pk, "per_person_limit": item.per_person_limit},
        status=409,
    )


def not_enough_points(item: PointsMallItem, exc: MemberError) -> PromotionError:
    """The members app's `insufficient_points`, said as the points mall says it."""
    available = (exc.detail or {}).get("available")
    return PromotionError(
        PromotionCode.NOT_ENOUGH_POINTS,
        gettext("积分不足：兑换需要 %(points)d 积分，你现有 %(have)s 积分")
        % {"points": item.points_price, "have": available if available is not None else 0},
        {"item_id": item.pk, "points": item.points_price, "available": available},
        status=409,
    )


def check_open(item: PointsMallItem, now: datetime) -> None:
    """The item can be exchanged now: switched on, inside its window, units left (read, no write)."""
    if item.status != RunStatus.ACTIVE:
        messages: dict[str, str] = {
            RunStatus.PAUSED: gettext("“%(name)s”暂停兑换"),
            RunStatus.ENDED: gettext("“%(name)s”的兑换已结束"),
        }
        message = messages.get(item.status, gettext("“%(name)s”不能兑换")) % {"name": item.name}
        raise PromotionError(PromotionCode.MALL_ITEM_UNAVAILABLE, message, {"item_id": item.pk, "status": item.status})
    if item.starts_at is not None and now < item.starts_at:
        raise PromotionError(
            PromotionCode.MALL_ITEM_UNAVAILABLE,
            gettext("还没到兑换时间，%(when)s 开始兑换")
            % {"when": timezone.localtime(item.starts_at).strftime("%Y-%m-%d %H:%M")},
            {"item_id": item.pk, "starts_at": item.starts_at.isoformat()},
        )
    if item.ends_at is not None and now >= item.ends_at:
        raise PromotionError(
            PromotionCode.MALL_ITEM_UNAVAILABLE,
            gettext("“%(name)s”的兑换时间已过") % {"name": item.name},
            {"item_id": item.pk, "ends_at": item.ends_at.isoformat()},
        )
    if item.exchanged_count >= item.total_quantity:
        raise _sold_out(item)


def open_item(item_id, *, kind: str, now: datetime | None = None) -> PointsMallItem:
    """The item of `kind` that can be exchanged now, or the error saying why not."""
    item = PointsMallItem.objects.select_related("coupon", "sku__product").filter(pk=item_id).first()
    if item is None:
        raise _not_found(item_id)
    if item.kind != kind:
        raise PromotionError(
            PromotionCode.MALL_ITEM_UNAVAILABLE,
            gettext("这件商品需下单兑换") if item.kind == K.PRODUCT else gettext("这张优惠券直接兑换，无需下单"),
            {"item_id": item.pk, "kind": item.kind},
        )
    check_open(item, now or timezone.now())
    return item


def _take_unit(item: PointsMallItem) -> bool:
    """One unit of the total, as one conditional UPDATE: False when none is left (or it stopped)."""
    return bool(
        PointsMallItem.objects.filter(pk=item.pk, exchanged_count__lt=F("total_quantity"), status=RunStatus.ACTIVE).update(
            exchanged_count=F("exchanged_count") + 1, updated_at=timezone.now()
        )
    )


def _insert_next(*, item: PointsMallItem, user, reference: str, order_reference: str) -> PointsExchange:
    """The person's next exchange of this item, numbered after all their earlier ones. A parallel
    insert of the same number loses on the unique constraint: count again once, then give up."""
    for _attempt in range(2):
        mine = PointsExchange.objects.filter(item=item, user=user)
        if mine.filter(status=X.DONE).count() >= item.per_person_limit:
            raise _limit_reached(item)
        seq = mine.count() + 1
        try:
            with transaction.atomic():
                return PointsExchange.objects.create(
                    item=item,
                    user=user,
                    seq=seq,
                    points=item.points_price,
                    cash_fen=item.cash_fen,
                    reference=reference,
                    order_reference=order_reference,
                )
        except IntegrityError:
            continue
    raise _limit_reached(item)


def new_reference() -> str:
    return f"mall:{uuid.uuid4().hex}"


def record_exchange(*, user, item: PointsMallItem, order_reference: str = "", reference: str = "") -> PointsExchange:
    """In the caller's transaction: the exchange row (per-person limit) and one unit of the item's
    total (conditional UPDATE, last, so the item's row stays locked only until the commit)."""
    exchange = _insert_next(item=item, user=user, reference=reference or new_reference(), order_reference=order_reference)
    if not _take_unit(item):
        item.refresh_from_db(fields=["status", "exchanged_count"])
        check_open(item, timezone.now())
        raise _sold_out(item)
    return exchange


@transaction.atomic
def exchange_coupon(*, user, item_id) -> PointsExchange:
    """Exchange points for the item's coupon: the exchange is recorded, the points spent and the coupon
    issued, all or nothing. Too few points is `not_enough_points` and nothing is taken."""
    item = open_item(item_id, kind=K.COUPON)
    reference = new_reference()
    exchange = record_exchange(user=user, item=item, reference=reference)
    try:
        member_points.spend(user.pk, item.points_price, reference)
    except MemberError as exc:
        if exc.code == MemberCode.INSUFFICIENT_POINTS:
            raise not_enough_points(item, exc) from exc
        raise
    coupon = item.coupon
    assert coupon is not None  # a coupon item has its coupon (a database constraint)
    result = coupons.issue(
        coupon_id=coupon.pk, user_ids=[user.pk], actor=None, source=UserCoupon.Source.MALL, source_reference=reference
    )
    if result.at_limit:
        raise PromotionError(
            PromotionCode.MALL_LIMIT,
            gettext("你持有的“%(name)s”已达每人上限，暂不能兑换") % {"name": coupon.name},
            {"item_id": item.pk, "coupon_id": item.coupon_id},
            status=409,
        )
    if not result.issued:
        raise PromotionError(
            PromotionCode.MALL_SOLD_OUT,
            gettext("“%(name)s”已经发完了") % {"name": coupon.name},
            {"item_id": item.pk, "coupon_id": item.coupon_id},
            status=409,
        )
    return exchange


def return_for_order(order_reference: str) -> bool:
    """An order of a points-mall product was cancelled or expired unpaid: its exchange is marked
    returned and its unit goes back to the item's total (the order gives the points back). True when
    it returned something now; a second call returns nothing."""
    with transaction.atomic():
        exchange = PointsExchange.objects.select_for_update().filter(order_reference=order_reference, status=X.DONE).first()
        if exchange is None:
            return False
        exchange.status, exchange.returned_at = X.RETURNED, timezone.now()
        exchange.save(update_fields=["status", "returned_at"])
        PointsMallItem.objects.filter(pk=exchange.item_id, exchanged_count__gt=0).update(
            exchanged_count=F("exchanged_count") - 1, updated_at=timezone.now()
        )
        return True


def retake_for_order(order_reference: str) -> bool:
    """A payment arrived for a points-mall order that had lapsed (its unit returned): its exchange is
    in force again when the item still has a unit (the person's limit is not asked again: the
    exchange was theirs); otherwise `mall_sold_out` and the order's payment is refunded. True when
    it took a unit now."""
    with transaction.atomic():
        exchange = (
            PointsExchange.objects.select_for_update()
            .select_related("item")
            .filter(order_reference=order_reference, status=X.RETURNED)
            .first()
        )
        if exchange is None:
            return False
        taken = PointsMallItem.objects.filter(pk=exchange.item_id, exchanged_count__lt=F("total_quantity")).update(
            exchanged_count=F("exchanged_count") + 1, updated_at=timezone.now()
        )
        if not taken:
            raise _sold_out(exchange.item)
        exchange.status, exchange.returned_at = X.DONE, None
        exchange.save(update_fields=["status", "returned_at"])
        return True
