"""What an order does to the buyer's membership and points, at each of its moments (the members app
knows no orders: this module tells it, by the order's reference).

- placed with points: they are spent (conditional: two orders cannot spend the same points);
- paid: the points it earns are credited, frozen;
- completed (its after-sales window closed): they become available, and its spending counts for the
  buyer's member tier;
- a line refunded: the earned points are taken back in proportion to what was refunded of the goods,
  and a completed order's spending shrinks;
- cancelled, unpaid past its time, or refunded in full: the points it spent come back.
"""

from __future__ import annotations

from django.db.models import Sum

from fenxiao.members.services import points as member_points
from fenxiao.members.services import tiers as member_tiers

from ..models import Order, OrderLine
from .states import reservation_reference


def spend(order: Order) -> None:
    if order.points_used:
        member_points.spend(order.user_id, order.points_used, reservation_reference(order.pk))


def give_back(order: Order) -> None:
    if order.points_used:
        member_points.return_spent(reservation_reference(order.pk))


def _goods_paid_and_refunded(order: Order) -> tuple[int, int]:
    sums = OrderLine.objects.filter(order=order).aggregate(paid=Sum("paid_fen"), refunded=Sum("refunded_fen"))
    return sums["paid"] or 0, sums["refunded"] or 0


def paid(order: Order) -> None:
    earn = int((order.price_breakdown or {}).get("points_to_earn") or 0)
    if earn > 0:
        member_points.credit_frozen(order.user_id, earn, reservation_reference(order.pk))


def completed(order: Order) -> None:
    ref = reservation_reference(order.pk)
    member_points.unfreeze(ref)
    paid_fen, refunded_fen = _goods_paid_and_refunded(order)
    if paid_fen - refunded_fen > 0:
        member_tiers.record_completed_spend(order.user_id, ref, paid_fen - refunded_fen, at=order.completed_at)


def line_refunded(order: Order, *, amount_fen: int, refund_reference: str) -> None:
    ref = reservation_reference(order.pk)
    paid_fen, refunded_fen = _goods_paid_and_refunded(order)
    if paid_fen > 0 and (order.price_breakdown or {}).get("points_to_earn"):
        member_points.reverse_for_refund(ref, min(refunded_fen, paid_fen), paid_fen)
    if order.status == Order.Status.COMPLETED:
        member_tiers.record_refunded_spend(ref, refund_reference, amount_fen)


def refunded_in_full(order: Order) -> None:
    """A paid order refunded in full (cancelled after payment, or every line refunded): what it
    earned is taken back, what it spent comes back."""
    ref = reservation_reference(order.pk)
    if (order.price_breakdown or {}).get("points_to_earn"):
        paid_fen, _refunded = _goods_paid_and_refunded(order)
        if paid_fen > 0:
            member_points.reverse_for_refund(ref, paid_fen, paid_fen)
    give_back(order)
