"""Writes of points: earning (frozen until the order completes), unfreezing, spending at checkout and
giving it back, taking back in proportion to a refund, expiry, and grants.

Every write changes the user's `PointsAccount` row first (a guarded or locking UPDATE), then the
lots, then appends the movements: the account row is the lock, so two writers for one user queue
there, in the same order everywhere, and the lots are read only while it is held. Points are not
money: nothing here touches the ledger.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.money import prorate

from .. import selectors
from ..errors import MemberCode, MemberError
from ..models import PointsAccount, PointsLot, PointsMovement, PointsSource

M = PointsMovement.Kind
#: Sources a grant may name (an order's points come through `credit_frozen`, returns through `return_spent`).
GRANT_SOURCES = (PointsSource.GRANT, PointsSource.INVITATION, PointsSource.LEADERBOARD)
MAX_POINTS = 2_000_000_000


def _check_points(points: object, *, allow_zero: bool = False) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points < (0 if allow_zero else 1) or points > MAX_POINTS:
        raise MemberError(MemberCode.INVALID_POINTS, gettext("积分须为正整数"), {"points": points})
    return points


def _ensure_account(user_id: int) -> None:
    PointsAccount.objects.bulk_create([PointsAccount(user_id=user_id)], ignore_conflicts=True)


def _lock_account(user_id: int) -> PointsAccount:
    """The user's balance row, locked until the transaction ends (made when missing)."""
    _ensure_account(user_id)
    return PointsAccount.objects.select_for_update().get(user_id=user_id)


def _move(user_id: int, *, available: int = 0, frozen: int = 0) -> None:
    """Shift the balance row by the movements' totals (the row is locked already)."""
    if available or frozen:
        PointsAccount.objects.filter(user_id=user_id).update(
            available=F("available") + available, frozen=F("frozen") + frozen, updated_at=timezone.now()
        )


# --- earning --------------------------------------------------------------------------------------


def credit_frozen(user_id: int, points: int, reference: str, *, at: datetime | None = None) -> PointsLot | None:
    """At payment: the order's points, frozen until it completes. Once per reference: crediting the
    same order again returns the lot already made. Zero points make nothing."""
    if _check_points(points, allow_zero=True) == 0:
        return None
    existing = PointsLot.objects.filter(source=PointsSource.ORDER, reference=reference).first()
    if existing is not None:
        return existing
    at = at or timezone.now()
    try:
        with transaction.atomic():
            _lock_account(user_id)
            lot = PointsLot.objects.create(
                user_id=user_id,
                source=PointsSource.ORDER,
                reference=reference,
                amount=points,
                remaining=points,
                frozen=True,
                created_at=at,
            )
            PointsMovement.objects.create(
                user_id=user_id, kind=M.EARN_FROZEN, frozen_delta=points, lot=lot, origin_lot=lot, reference=reference, at=at
            )
            _move(user_id, frozen=points)
            return lot
    except IntegrityError:
        existing = PointsLot.objects.filter(source=PointsSource.ORDER, reference=reference).first()
        if existing is not None:
            return existing
        raise


def unfreeze(reference: str, *, at: datetime | None = None) -> int:
    """When the order completes (its after-sales window closed): its frozen points become available
    and their expiry clock starts. Returns the points released; a second call releases nothing."""
    lot = PointsLot.objects.filter(source=PointsSource.ORDER, reference=reference, frozen=True).first()
    if lot is None:
        return 0
    at = at or timezone.now()
    with transaction.atomic():
        _lock_account(lot.user_id)
        lot = PointsLot.objects.filter(pk=lot.pk, frozen=True).first()
        if lot is None:
            return 0
        points = lot.remaining
        lot.frozen, lot.unfrozen_at, lot.expires_at = False, at, selectors.expiry_for(at)
        lot.save(update_fields=["frozen", "unfrozen_at", "expires_at"])
        if points:
            PointsMovement.objects.create(
                user_id=lot.user_id,
                kind=M.UNFREEZE,
                available_delta=points,
                frozen_delta=-points,
                lot=lot,
                origin_lot=lot,
                reference=reference,
                at=at,
            )
            _move(lot.user_id, available=points, frozen=-points)
        return points


def reverse_for_refund(reference: str, refunded_fen: int, paid_fen: int, *, at: datetime | None = None) -> int:
    """Take back the order's points in proportion to what was refunded: `refunded_fen` is everything
    refunded so far of `paid_fen`, the amount the points were earned on; the order keeps
    floor(points × (paid − refunded) / paid) — precisely, floor(points × refunded / paid) are taken
    back in all, so calling again with the same figures takes nothing more.

    From the order's frozen points first. Once they became available and were partly spent, the
    balance never goes negative: what the user has is taken (the order's own lot first, then the
    others first to expire) and the rest is recorded as the movement's shortfall, not owed later.
    Returns the points taken now."""
    for value in (refunded_fen, paid_fen):
        if isinstance(value, bool) or not isinstance(value, int):
            raise MemberError(MemberCode.INVALID_POINTS, gettext("退款金额须为整数（分）"), {"refunded_fen": refunded_fen})
    if paid_fen <= 0 or not 0 <= refunded_fen <= paid_fen:
        raise MemberError(
            MemberCode.INVALID_POINTS,
            gettext("退款金额须在 0 与实付金额之间"),
            {"refunded_fen": refunded_fen, "paid_fen": paid_fen},
        )
    lot = PointsLot.objects.filter(source=PointsSource.ORDER, reference=reference).first()
    if lot is None:
        return 0
    at = at or timezone.now()
    with transaction.atomic():
        account = _lock_account(lot.user_id)
        lot.refresh_from_db()
        target = prorate(lot.amount, refunded_fen, paid_fen)
        done = PointsMovement.objects.filter(kind=M.REFUND_REVERSE, reference=reference).aggregate(
            taken=Sum(F("available_delta") + F("frozen_delta"), default=0), short=Sum("shortfall", default=0)
        )
        due = target - (-int(done["taken"]) + int(done["short"]))
        if due <= 0:
            return 0
        note = gettext("订单退款，按比例扣回积分")
        if lot.frozen:
            take = min(due, lot.remaining)
            lot.remaining -= take
            lot.save(update_fields=["remaining"])
            PointsMovement.objects.create(
                user_id=lot.user_id,
                kind=M.REFUND_REVERSE,
                frozen_delta=-take,
                lot=lot,
                origin_lot=lot,
                reference=reference,
                shortfall=due - take,
                note=note,
                at=at,
            )
            _move(lot.user_id, frozen=-take)
            return take
        others = list(selectors.spendable_lots(lot.user_id, at).exclude(pk=lot.pk))
        # expired but not yet taken out by the daily job: still part of the balance, taken last
        others += list(
            PointsLot.objects.filter(user_id=lot.user_id, frozen=False, remaining__gt=0, expires_at__lte=at)
            .exclude(pk=lot.pk)
            .order_by("expires_at", "id")
        )
        left = min(due, account.available)
        rows: list[PointsMovement] = []
        changed: list[PointsLot] = []
        for candidate in [lot, *others]:
            if left <= 0:
                break
            take = min(left, candidate.remaining)
            if take <= 0:
                continue
            candidate.remaining -= take
            changed.append(candidate)
            left -= take
            rows.append(
                PointsMovement(
                    user_id=lot.user_id,
                    kind=M.REFUND_REVERSE,
                    available_delta=-take,
                    lot=candidate,
                    origin_lot=lot,
                    reference=reference,
                    note=note,
                    at=at,
                )
            )
        taken = sum(-row.available_delta for row in rows)
        shortfall = due - taken
        if shortfall:
            short_note = gettext("订单退款应扣回 %(due)d 积分，余额不足，实扣 %(taken)d，未扣回 %(short)d") % {
                "due": due,
                "taken": taken,
                "short": shortfall,
            }
            if rows:
                rows[-1].shortfall, rows[-1].note = shortfall, short_note
            else:
                rows.append(
                    PointsMovement(
                        user_id=lot.user_id,
                        kind=M.REFUND_REVERSE,
                        lot=lot,
                        origin_lot=lot,
                        reference=reference,
                        shortfall=shortfall,
                        note=short_note,
                        at=at,
                    )
                )
        PointsLot.objects.bulk_update(changed, ["remaining"])
        PointsMovement.objects.bulk_create(rows)
        _move(lot.user_id, available=-taken)
        return taken


# --- spending -------------------------------------------------------------------------------------


def _outstanding(reference: str) -> dict[int, int]:
    """Points an order's spend still holds, by the lot they were taken from."""
    rows = (
        PointsMovement.objects.filter(reference=reference, kind__in=[M.SPEND, M.SPEND_RETURN])
        .values("origin_lot_id")
        .annotate(net=Sum("available_delta"))
        .order_by()
    )
    return {row["origin_lot_id"]: -int(row["net"]) for row in rows if row["net"] and row["net"] < 0}


def spend(user_id: int, points: int, reference: str, *, at: datetime | None = None) -> int:
    """At order placement: take `points` from the user's available points, the lots first to expire
    first. Conditional: one guarded UPDATE (`available >= points`) decides, so two orders spending at
    once can never overspend — the second waits for the first and finds too little. Raises
    `insufficient_points` (nothing taken) when the balance, or what is not past its expiry, falls
    short; `points_already_spent` when the reference still holds a spend (after `return_spent` it may
    spend again, e.g. an order paid late that takes its stock back). Returns the points spent."""
    _check_points(points)
    at = at or timezone.now()
    with transaction.atomic():
        if _outstanding(reference):
            raise MemberError(MemberCode.POINTS_ALREADY_SPENT, gettext("该订单已使用积分"), {"reference": reference}, status=409)
        taken = PointsAccount.objects.filter(user_id=user_id, available__gte=points).update(
            available=F("available") - points, updated_at=timezone.now()
        )
        if not taken:
            raise _insufficient(user_id, points, at)
        left = points
        changed: list[PointsLot] = []
        rows: list[PointsMovement] = []
        for lot in selectors.spendable_lots(user_id, at):
            take = min(left, lot.remaining)
            lot.remaining -= take
            left -= take
            changed.append(lot)
            rows.append(
                PointsMovement(
                    user_id=user_id,
                    kind=M.SPEND,
                    available_delta=-take,
                    lot=lot,
                    origin_lot=lot,
                    reference=reference,
                    note=gettext("下单使用积分"),
                    at=at,
                )
            )
            if left == 0:
                break
        if left:
            # Part of the balance is past its expiry and waits for the daily job: the UPDATE above is undone.
            raise _insufficient(user_id, points, at)
        PointsLot.objects.bulk_update(changed, ["remaining"])
        PointsMovement.objects.bulk_create(rows)
        return points


def _insufficient(user_id: int, points: int, at: datetime) -> MemberError:
    have = selectors.spendable_points(user_id, at)
    return MemberError(
        MemberCode.INSUFFICIENT_POINTS,
        gettext("积分不足：需要 %(points)d，可用 %(have)d") % {"points": points, "have": have},
        {"points": points, "available": have},
        status=409,
    )


def return_spent(reference: str, *, at: datetime | None = None) -> int:
    """When the order is cancelled, expires unpaid or is refunded in full: the points its spend took
    come back. Each goes back to the lot it came from, with that lot's expiry, while the lot has not
    expired; points of a lot that expired meanwhile come back as a new lot (source "return") with a
    fresh expiry of the configured months from now. Returns the points given back; a second call
    gives back nothing."""
    first = _outstanding(reference)
    if not first:
        return 0
    at = at or timezone.now()
    user_id = PointsLot.objects.filter(pk=next(iter(first))).values_list("user_id", flat=True).get()
    with transaction.atomic():
        _lock_account(user_id)
        owed = _outstanding(reference)
        if not owed:
            return 0
        lots = PointsLot.objects.in_bulk(list(owed))
        changed: list[PointsLot] = []
        rows: list[PointsMovement] = []
        for lot_id in sorted(owed):
            points, lot = owed[lot_id], lots[lot_id]
            target = lot
            if lot.expires_at is not None and lot.expires_at <= at:
                target = PointsLot.objects.create(
                    user_id=user_id,
                    source=PointsSource.RETURN,
                    reference=reference,
                    amount=points,
                    remaining=points,
                    created_at=at,
                    unfrozen_at=at,
                    expires_at=selectors.expiry_for(at),
                )
                note = gettext("订单取消或退款，积分退回（原积分已过期，重新计算有效期）")
            else:
                lot.remaining += points
                changed.append(lot)
                note = gettext("订单取消或退款，积分退回")
            rows.append(
                PointsMovement(
                    user_id=user_id,
                    kind=M.SPEND_RETURN,
                    available_delta=points,
                    lot=target,
                    origin_lot=lot,
                    reference=reference,
                    note=note,
                    at=at,
                )
            )
        PointsLot.objects.bulk_update(changed, ["remaining"])
        PointsMovement.objects.bulk_create(rows)
        total = sum(owed.values())
        _move(user_id, available=total)
        return total


# --- expiry and grants ----------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(frozen=False, remaining__gt=0, expires_at__lte=now)


def expire_due(now: datetime | None = None) -> int:
    """The daily job: every available lot past its expiry is emptied with an `expire` movement, the
    users' oldest lots first. Idempotent; returns the points expired."""
    now = now or timezone.now()
    expired = 0
    for user_id in PointsLot.objects.filter(_due(now)).values_list("user_id", flat=True).distinct().order_by("user_id"):
        with transaction.atomic():
            _lock_account(user_id)
            lots = list(PointsLot.objects.filter(_due(now), user_id=user_id).order_by("expires_at", "id"))
            rows = [
                PointsMovement(
                    user_id=user_id,
                    kind=M.EXPIRE,
                    available_delta=-lot.remaining,
                    lot=lot,
                    origin_lot=lot,
                    reference=lot.reference,
                    note=gettext("积分过期"),
                    at=now,
                )
                for lot in lots
            ]
            total = sum(lot.remaining for lot in lots)
            for lot in lots:
                lot.remaining = 0
            PointsLot.objects.bulk_update(lots, ["remaining"])
            PointsMovement.objects.bulk_create(rows)
            _move(user_id, available=-total)
            expired += total
    return expired


def new_grant_reference() -> str:
    return f"grant:{uuid.uuid4().hex}"


def grant(
    user_id: int,
    points: int,
    source: str = PointsSource.GRANT,
    reference: str = "",
    actor=None,
    *,
    note: str = "",
    at: datetime | None = None,
) -> PointsLot:
    """Points given outright: by an operator, an invitation ladder rung or a leaderboard prize.
    Available at once, expiring after the configured months. Once per (source, reference): granting
    again returns the lot already made and adds nothing."""
    _check_points(points)
    if source not in GRANT_SOURCES:
        raise MemberError(MemberCode.INVALID_POINTS, gettext("积分来源不正确"), {"source": source})
    reference = reference or new_grant_reference()
    existing = PointsLot.objects.filter(source=source, reference=reference).first()
    if existing is not None:
        return existing
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise MemberError(MemberCode.USER_NOT_FOUND, gettext("用户不存在"), {"user_id": user_id}, status=404)
    at = at or timezone.now()
    actor_id = getattr(actor, "pk", None)
    try:
        with transaction.atomic():
            _lock_account(user_id)
            lot = PointsLot.objects.create(
                user_id=user_id,
                source=source,
                reference=reference,
                amount=points,
                remaining=points,
                created_at=at,
                unfrozen_at=at,
                expires_at=selectors.expiry_for(at),
            )
            PointsMovement.objects.create(
                user_id=user_id,
                kind=M.GRANT,
                available_delta=points,
                lot=lot,
                origin_lot=lot,
                reference=reference,
                note=(note or PointsSource(source).label)[:200],
                actor_id=actor_id,
                at=at,
            )
            _move(user_id, available=points)
            return lot
    except IntegrityError:
        existing = PointsLot.objects.filter(source=source, reference=reference).first()
        if existing is not None:
            return existing
        raise
