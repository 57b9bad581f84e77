"""A distributor's invitees, the counts the invitation ladder is read by, and the ladder itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef

from fenxiao.distribution.models import Distributor
from fenxiao.orders.models import Order

from ..models import InvitationReward, InvitationRung
from .figures import APPROVED

# --- invitations -----------------------------------------------------------------------------------

# Orders that are real purchases: paid and not cancelled (a cancelled order is refunded in full).
REAL_ORDER_STATUSES = ["paid", "shipped", "received", "completed"]


def invitees(distributor: Distributor):
    """The distributors it invited that are approved, each annotated with `is_valid`: it completed a
    first real order, or was approved after a first purchase (its first paid order came no later
    than its approval, as under threshold admission)."""
    from django.db.models import Exists

    completed = Order.objects.filter(user_id=OuterRef("user_id"), status="completed")
    bought_first = Order.objects.filter(
        user_id=OuterRef("user_id"), status__in=REAL_ORDER_STATUSES, paid_at__lte=OuterRef("approved_at")
    )
    return Distributor.objects.filter(inviter_id=distributor.pk, status=APPROVED).annotate(
        is_valid=Exists(completed) | Exists(bought_first)
    )


@dataclass(frozen=True)
class InvitationCounts:
    valid: int  # invitees who bought
    heads: int  # every approved invitee

    def for_basis(self, basis: str) -> int:
        return self.heads if basis == "heads" else self.valid


def invitation_counts(distributor: Distributor) -> InvitationCounts:
    from django.db.models import Q

    row = invitees(distributor).aggregate(heads=Count("id"), valid=Count("id", filter=Q(is_valid=True)))
    return InvitationCounts(valid=row["valid"], heads=row["heads"])


@dataclass(frozen=True)
class RungState:
    rung: InvitationRung
    count: int  # invitations counted on the rung's basis
    claimed: object | None  # the InvitationReward, once claimed

    @property
    def reached(self) -> bool:
        return self.count >= self.rung.invites

    @property
    def awaiting_approval(self) -> bool:
        """Reached and not yet claimed, but a cash reward finance has not approved (at this amount):
        it cannot be claimed until then (the claim's `reward_awaiting_approval`)."""
        return self.reached and self.claimed is None and self.rung.cash_awaiting_approval

    @property
    def claimable(self) -> bool:
        return self.reached and self.claimed is None and not self.rung.cash_awaiting_approval


def invitation_ladder(distributor: Distributor) -> tuple[InvitationCounts, list[RungState]]:
    """The enabled rungs with how far the distributor is on each and what it already claimed."""
    counts = invitation_counts(distributor)
    claimed = {r.rung_id: r for r in InvitationReward.objects.filter(distributor_id=distributor.pk)}
    rungs = InvitationRung.objects.filter(is_enabled=True).order_by("invites")
    return counts, [RungState(rung, counts.for_basis(rung.basis), claimed.get(rung.pk)) for rung in rungs]
