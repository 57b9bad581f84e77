"""The operator's view of one distributor's relation chain (关系链): its upline and its direct invitees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext

from fenxiao.common.phone import mask_phone, normalize_phone
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.selectors import upline_chain

from ..errors import AnalyticsCode, AnalyticsError
from .team import NEWEST_FIRST, display_name, team_counts

# --- the operator's relation chain (关系链) ---------------------------------------------------------


@dataclass(frozen=True)
class ChainNode:
    distributor_id: int
    code: str
    name: str
    phone: str  # masked, as in the distributor list
    level_name: str
    status: str
    status_label: str
    depth: int  # absolute depth in the network (0 = a root)
    joined_at: datetime | None
    child_count: int  # invitees of any status; -1 when not counted


@dataclass(frozen=True)
class Chain:
    distributor: ChainNode
    upline: list[ChainNode]  # nearest first: the inviter, its inviter, … the root
    direct_count: int
    indirect_count: int
    children: list[ChainNode]


def _chain_node(d: Distributor, child_count: int = -1) -> ChainNode:
    return ChainNode(
        distributor_id=d.pk,
        code=d.code,
        name=display_name(d),
        phone=mask_phone(d.user.phone),
        level_name=d.level.name,
        status=d.status,
        status_label=str(d.get_status_display()),
        depth=d.depth,
        joined_at=d.approved_at,
        child_count=child_count,
    )


def staff_children(parent_id: int) -> list[ChainNode]:
    """Every invitee of a distributor, whatever its status, with its own invitee count: one level
    of the operator's tree, which has no depth limit (one request per level)."""
    qs = (
        Distributor.objects.filter(inviter_id=parent_id)
        .select_related("user", "level")
        .annotate(children=Count("invitees"))
        .order_by(*NEWEST_FIRST)
    )
    return [_chain_node(d, d.children) for d in qs]


def chain(distributor_id: int) -> Chain:
    """The operator's view of one distributor: its upline from `path`, its team counts and its
    direct invitees. `distributor_not_found` (404) for an unknown id."""
    found = Distributor.objects.select_related("user", "level").filter(pk=distributor_id).first()
    if found is None:
        raise AnalyticsError(
            AnalyticsCode.DISTRIBUTOR_NOT_FOUND, gettext("分销商不存在"), {"distributor_id": distributor_id}, status=404
        )
    counts = team_counts(found)
    children = staff_children(found.pk)
    return Chain(
        distributor=_chain_node(found, len(children)),
        upline=[_chain_node(d) for d in upline_chain(found)],
        direct_count=counts.direct,
        indirect_count=counts.indirect,
        children=children,
    )


def find_distributor(text: str) -> Distributor | None:
    """A distributor by invite code (any case) or by its user's phone number."""
    text = (text or "").strip()
    if not text:
        return None
    phone = normalize_phone(text)
    return Distributor.objects.filter(Q(code__iexact=text) | Q(user__phone=phone)).order_by("pk").first()
