"""Coupons people get: claimed in the coupon centre, issued by the operator (to a list of people, or a
segment worked out by the console), given to newcomers when their account is made, and revoked.

The two limits hold under parallel requests on SQLite and PostgreSQL without reading then writing:

- the total: one conditional UPDATE takes a unit (`issued_count < total_quantity`), so of two
  claims for the last coupon exactly one gets it;
- per person: each held coupon has a sequence number unique per (coupon, person); a claim inserts the
  next one inside a savepoint, and of two parallel claims the second hits the unique constraint,
  counts again and is refused once the number would pass the limit.

An operator issue works in batches: it locks the coupon row, reads how many each person holds in one
query per batch and inserts the coupons and their events in bulk, so its statements do not grow with
each person (5,000 people take a handful of statements per 500).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext

from ..errors import PromotionCode, PromotionError
from ..models import Coupon, RunStatus, UserCoupon, UserCouponEvent
from .states import COUPON_MACHINE, C

ISSUE_BATCH = 500
PERMISSION = "promotions.issue_coupon"
Source = UserCoupon.Source


@dataclass
class IssueResult:
    """What an issue did: who got one, who already held as many as allowed, who was left without
    because the total ran out."""

    issued: list[int] = field(default_factory=list)
    at_limit: list[int] = field(default_factory=list)
    not_issued: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # ids of no active account

    @property
    def issued_count(self) -> int:
        return len(self.issued)

    @property
    def sold_out(self) -> bool:
        return bool(self.not_issued)


def validity_window(coupon: Coupon, now: datetime) -> tuple[datetime, datetime]:
    """When a coupon received at `now` can be used: the coupon's dates, or `valid_days` from now."""
    if coupon.validity == Coupon.Validity.DAYS:
        return now, now + timedelta(days=coupon.valid_days or 0)
    return coupon.valid_from or now, coupon.valid_until or now  # dated coupons always have an end (a constraint)


def _not_found(coupon_id) -> PromotionError:
    return PromotionError(PromotionCode.COUPON_NOT_FOUND, gettext("优惠券不存在"), {"coupon_id": coupon_id}, status=404)


def _check_validity_left(coupon: Coupon, now: datetime) -> None:
    if coupon.validity == Coupon.Validity.DATES and coupon.valid_until is not None and coupon.valid_until <= now:
        raise PromotionError(
            PromotionCode.COUPON_EXPIRED, gettext("这张优惠券的有效期已过，不能再发放"), {"coupon_id": coupon.pk}
        )


def _check_claimable(coupon: Coupon, now: datetime) -> None:
    if coupon.status != RunStatus.ACTIVE or not coupon.claimable:
        messages: dict[str, str] = {
            RunStatus.PAUSED: gettext("这张优惠券暂停领取"),
            RunStatus.ENDED: gettext("这张优惠券的活动已结束"),
        }
        message = messages.get(coupon.status, gettext("这张优惠券不能在领券中心领取"))
        raise PromotionError(PromotionCode.COUPON_UNAVAILABLE, message, {"coupon_id": coupon.pk, "status": coupon.status})
    if coupon.claim_starts_at is not None and now < coupon.claim_starts_at:
        raise PromotionError(
            PromotionCode.COUPON_NOT_STARTED,
            gettext("还没到领取时间，%(when)s 开始领取")
            % {"when": timezone.localtime(coupon.claim_starts_at).strftime("%Y-%m-%d %H:%M")},
            {"coupon_id": coupon.pk, "claim_starts_at": coupon.claim_starts_at.isoformat()},
        )
    if coupon.claim_ends_at is not None and now >= coupon.claim_ends_at:
        raise PromotionError(
            PromotionCode.COUPON_EXPIRED,
            gettext("领取时间已过"),
            {"coupon_id": coupon.pk, "claim_ends_at": coupon.claim_ends_at.isoformat()},
        )
    _check_validity_left(coupon, now)


def _sold_out(coupon: Coupon) -> PromotionError:
    return PromotionError(PromotionCode.COUPON_SOLD_OUT, gettext("这张优惠券已经领完了"), {"coupon_id": coupon.pk}, status=409)


def _limit_reached(coupon: Coupon) -> PromotionError:
    return PromotionError(
        PromotionCode.PER_PERSON_LIMIT,
        gettext("每人限领 %(limit)s 张，你已经领过了") % {"limit": coupon.per_person_limit},
        {"coupon_id": coupon.pk, "per_person_limit": coupon.per_person_limit},
        status=409,
    )


def _take_one(coupon: Coupon) -> bool:
    """One unit of the total, as one conditional UPDATE: False when none is left (or it stopped)."""
    return bool(
        Coupon.objects.filter(pk=coupon.pk, issued_count__lt=F("total_quantity"), status=RunStatus.ACTIVE).update(
            issued_count=F("issued_count") + 1
        )
    )


def _insert_next(*, coupon: Coupon, user, source: str, source_reference: str, now: datetime) -> UserCoupon:
    """The person's next coupon of this kind, numbered after those they hold. A parallel insert of the
    same number loses on the unique constraint: count again once, then give up as over the limit."""
    valid_from, valid_until = validity_window(coupon, now)
    for _attempt in range(2):
        seq = UserCoupon.objects.filter(coupon=coupon, user=user).count() + 1
        if seq > coupon.per_person_limit:
            raise _limit_reached(coupon)
        try:
            with transaction.atomic():
                return UserCoupon.objects.create(
                    coupon=coupon,
                    user=user,
                    seq=seq,
                    source=source,
                    source_reference=source_reference[:40],
                    status=C.AVAILABLE,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    claimed_at=now,
                )
        except IntegrityError:
            continue
    raise _limit_reached(coupon)


def claim(*, user, coupon_id: int) -> UserCoupon:
    """The coupon centre: `user` claims one coupon of `coupon_id`."""
    now = timezone.now()
    coupon = Coupon.objects.filter(pk=coupon_id).first()
    if coupon is None:
        raise _not_found(coupon_id)
    _check_claimable(coupon, now)
    if coupon.issued_count >= coupon.total_quantity:
        raise _sold_out(coupon)  # already gone: refused without a write
    with transaction.atomic():
        held = _insert_next(coupon=coupon, user=user, source=Source.CLAIM, source_reference="", now=now)
        COUPON_MACHINE.record(held, "", C.AVAILABLE, actor=user, note=str(Source.CLAIM.label))
        # One unit of the total last, so that the coupon's row stays locked only until the commit.
        if not _take_one(coupon):
            coupon.refresh_from_db(fields=["status"])
            if coupon.status != RunStatus.ACTIVE:
                _check_claimable(coupon, now)
            raise _sold_out(coupon)
    return held


def _unique_ids(user_ids: Iterable[int]) -> list[int]:
    seen: dict[int, None] = {}
    for raw in user_ids:
        seen.setdefault(int(raw), None)
    return list(seen)


def issue(
    *, coupon_id: int, user_ids: Iterable[int], actor, source: str = Source.ISSUE, source_reference: str = ""
) -> IssueResult:
    """One coupon of `coupon_id` to each person of `user_ids` (operator issue; also the newcomer pack,
    referral and starter rewards and 满减送 gifts, each with its own `source`). People who already hold
    as many as the per-person limit are skipped; once the total runs out the rest get none. The claim
    window and the `claimable` switch do not matter here; an ended (or expired) coupon is refused.
    The console or API checks the actor's `promotions.issue_coupon` permission; the actor is recorded."""
    if source not in Source.values:
        raise ValueError(f"unknown coupon source {source!r}")
    now = timezone.now()
    wanted = _unique_ids(user_ids)
    result = IssueResult()
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().filter(pk=coupon_id).first()
        if coupon is None:
            raise _not_found(coupon_id)
        if coupon.status == RunStatus.ENDED:
            raise PromotionError(
                PromotionCode.COUPON_UNAVAILABLE, gettext("这张优惠券的活动已结束，不能再发放"), {"coupon_id": coupon.pk}
            )
        _check_validity_left(coupon, now)
        valid_from, valid_until = validity_window(coupon, now)
        note = str(Source(source).label)
        actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
        left = coupon.total_quantity - coupon.issued_count
        User = get_user_model()
        for start in range(0, len(wanted), ISSUE_BATCH):
            batch = wanted[start : start + ISSUE_BATCH]
            known = set(User.objects.filter(pk__in=batch, is_active=True).values_list("pk", flat=True))
            held = dict(
                UserCoupon.objects.filter(coupon=coupon, user_id__in=batch)
                .values("user_id")
                .annotate(n=Count("id"))
                .values_list("user_id", "n")
            )
            rows = []
            for user_id in batch:
                if user_id not in known:
                    result.unknown.append(user_id)
                elif held.get(user_id, 0) >= coupon.per_person_limit:
                    result.at_limit.append(user_id)
                elif left <= 0:
                    result.not_issued.append(user_id)
                else:
                    left -= 1
                    result.issued.append(user_id)
                    rows.append(
                        UserCoupon(
                            coupon=coupon,
                            user_id=user_id,
                            seq=held.get(user_id, 0) + 1,
                            source=source,
                            source_reference=source_reference[:40],
                            status=C.AVAILABLE,
                            valid_from=valid_from,
                            valid_until=valid_until,
                            claimed_at=now,
                        )
                    )
            if not rows:
                continue
            taken = Coupon.objects.filter(pk=coupon.pk, issued_count__lte=F("total_quantity") - len(rows)).update(
                issued_count=F("issued_count") + len(rows)
            )
            if not taken:  # only if something changed the counter outside the row lock
                raise _sold_out(coupon)
            created = UserCoupon.objects.bulk_create(rows)
            if any(row.pk is None for row in created):  # a backend that does not return the new ids
                created = list(UserCoupon.objects.filter(coupon=coupon, user_id__in=[r.user_id for r in rows], claimed_at=now))
            UserCouponEvent.objects.bulk_create(
                UserCouponEvent(
                    user_coupon_id=row.pk,
                    from_status="",
                    to_status=C.AVAILABLE,
                    actor_id=actor_id,
                    note=note,
                    reference=source_reference[:40],
                )
                for row in created
            )
    return result


def issue_newcomer_pack(user) -> IssueResult:
    """Every active newcomer coupon, one each, to a member account just made (an account hook)."""
    result = IssueResult()
    if user.is_staff or user.is_superuser:
        return result
    now = timezone.now()
    ids = Coupon.objects.filter(for_newcomers=True, status=RunStatus.ACTIVE).values_list("pk", "validity", "valid_until")
    for coupon_id, validity, valid_until in ids:
        if validity == Coupon.Validity.DATES and valid_until is not None and valid_until <= now:
            continue
        done = issue(coupon_id=coupon_id, user_ids=[user.pk], actor=None, source=Source.NEWCOMER)
        result.issued.extend(done.issued)
        result.at_limit.extend(done.at_limit)
        result.not_issued.extend(done.not_issued)
    return result


def revoke(*, user_coupon_id: int, actor, reason: str) -> UserCoupon:
    """Take back a coupon somebody holds and has not used. A used coupon, or one an unpaid order holds,
    is refused; revoking one already revoked changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise PromotionError(PromotionCode.REASON_REQUIRED, gettext("请填写收回原因"), {"field": "reason"})
    held = UserCoupon.objects.filter(pk=user_coupon_id).first()
    if held is None:
        raise PromotionError(
            PromotionCode.COUPON_NOT_FOUND, gettext("优惠券不存在"), {"user_coupon_id": user_coupon_id}, status=404
        )
    if held.status == C.REVOKED:
        return held
    moved = None
    if held.status == C.AVAILABLE:
        moved = COUPON_MACHINE.move_if(UserCoupon, held.pk, C.AVAILABLE, C.REVOKED, actor=actor, note=reason)
    if moved is not None:
        return moved
    held.refresh_from_db(fields=["status"])
    if held.status == C.RESERVED:
        raise PromotionError(
            PromotionCode.COUPON_RESERVED,
            gettext("这张优惠券正被一笔未付款的订单占用，不能收回"),
            {"user_coupon_id": held.pk},
            status=409,
        )
    if held.status == C.REVOKED:
        return held
    raise PromotionError(
        PromotionCode.COUPON_ALREADY_USED, gettext("这张优惠券已经使用，不能收回"), {"user_coupon_id": held.pk}, status=409
    )
