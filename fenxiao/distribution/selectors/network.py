"""Reads of the distributor network that other code relies on being fast.

Direct downline: `inviter_id = X` on the (inviter, status) index. Indirect downline: the same index
twice (children of children). Upline chain: the ids are in the distributor's own `path`, so one
primary-key lookup fetches them all. None of these grows with the size of the tree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from ..errors import DistributionCode, DistributionError
from ..models import Binding, DistributionSettings, Distributor

APPROVED = Distributor.Status.APPROVED


def distributor_for_user(user) -> Distributor | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Distributor.objects.select_related("level", "inviter__user").filter(user=user).first()


def require_distributor(user, *, statuses: Collection[str] | None = (APPROVED,)) -> Distributor:
    """The caller's distributor profile when its status is one of `statuses` (approved by default;
    None takes a profile in any status). Anyone else is signed in but not a distributor for this
    action, and every API answers the same: 403 `not_distributor` with `detail.status`, the profile's
    status (null for a member who never applied)."""
    found = distributor_for_user(user)
    if found is not None and (statuses is None or found.status in statuses):
        return found
    message = gettext("你还不是分销商") if found is None else gettext("你的分销商资格尚未生效")
    raise DistributionError(DistributionCode.NOT_DISTRIBUTOR, message, {"status": found.status if found else None}, status=403)


def upline_chain(distributor: Distributor) -> list[Distributor]:
    """The whole upline, nearest first (direct inviter, its inviter, … the root)."""
    ids = distributor.ancestor_ids()
    if not ids:
        return []
    by_id = Distributor.objects.select_related("user", "level").in_bulk(ids)
    return [by_id[i] for i in reversed(ids) if i in by_id]


def commission_earners(distributor: Distributor, conf: DistributionSettings | None = None) -> list[Distributor | None]:
    """Who earns on a sale credited to `distributor`: [direct] or [direct, indirect], as many as the
    operator's commission level setting (1 or 2, never more). A position whose distributor is not
    approved is None, so the indirect earner stays the inviter and never moves further up. A caller
    that has read the settings already passes them in `conf`."""
    if conf is None:
        conf = DistributionSettings.objects.filter(pk=1).only("commission_levels").first()
    depth = min(conf.commission_levels if conf else 2, 2)
    chain = [distributor, *upline_chain(distributor)][:depth]
    return [d if d.status == APPROVED else None for d in chain]


def direct_downline(distributor: Distributor, *, approved_only: bool = True) -> QuerySet[Distributor]:
    qs = Distributor.objects.filter(inviter_id=distributor.pk)
    if approved_only:
        qs = qs.filter(status=APPROVED)
    return qs.select_related("user", "level").order_by("-approved_at", "-id")


def indirect_downline(distributor: Distributor, *, approved_only: bool = True) -> QuerySet[Distributor]:
    parents = Distributor.objects.filter(inviter_id=distributor.pk).values("pk")
    qs = Distributor.objects.filter(inviter_id__in=parents)
    if approved_only:
        qs = qs.filter(status=APPROVED)
    return qs.select_related("user", "level", "inviter__user").order_by("-approved_at", "-id")


@dataclass(frozen=True)
class DownlineCounts:
    direct: int
    indirect: int

    @property
    def team(self) -> int:
        return self.direct + self.indirect


def downline_counts(distributor: Distributor) -> DownlineCounts:
    return DownlineCounts(
        direct=direct_downline(distributor).count(),
        indirect=indirect_downline(distributor).count(),
    )


def bound_customer_count(distributor: Distributor) -> int:
    return Binding.objects.filter(distributor=distributor).count()


def pending_applications() -> QuerySet[Distributor]:
    return (
        Distributor.objects.filter(status__in=[Distributor.Status.PENDING, Distributor.Status.AWAITING_PURCHASE])
        .select_related("user", "level", "inviter__user")
        .order_by("applied_at", "id")
    )


def approved_distributor_by_code(code: str) -> Distributor | None:
    """An approved distributor by invite code, read without recording a visit."""
    return Distributor.objects.select_related("user", "level").filter(code=(code or "").upper(), status=APPROVED).first()


def active_binding(user) -> Binding | None:
    """The customer's binding, if it points at an approved distributor."""
    if not getattr(user, "is_authenticated", False):
        return None
    binding = Binding.objects.select_related("distributor__user", "distributor__level").filter(customer=user).first()
    return binding if binding is not None and binding.distributor.is_approved else None


def sale_attribution(user) -> tuple[Distributor | None, bool]:
    """Who a sale to `user` is credited to, in one query: the user's own approved distributor
    profile (a self-purchase), else the approved distributor the user is bound to, else nobody."""
    rows = list(Distributor.objects.filter(Q(user=user) | Q(bindings__customer=user), status=APPROVED)[:2])
    own = next((d for d in rows if d.user_id == user.pk), None)
    if own is not None:
        return own, True
    return (rows[0] if rows else None), False
