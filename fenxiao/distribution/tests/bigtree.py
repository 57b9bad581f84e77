"""Builds a large distributor tree fast, for the slow selector tests and the benchmark.

Ids are chosen up front, so each row's `path`, `depth` and `inviter_id` are known before insert and
the whole tree goes in with plain bulk_create, parents before children. The shape is seeded: a few
roots, a set of hubs that attract a quarter of all new members, everybody else invited by a uniformly
chosen earlier distributor that was ever approved. About one in ten is not approved.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from fenxiao.accounts.models import User
from fenxiao.distribution.models import Distributor, Level

S = Distributor.Status

STATUS_WEIGHTS = (
    (S.APPROVED, 90),
    (S.PENDING, 5),
    (S.AWAITING_PURCHASE, 1),
    (S.REJECTED, 2),
    (S.SUSPENDED, 2),
)


@dataclass
class Tree:
    """The built tree, described in Python so that tests can compute the expected answers."""

    ids: list[int] = field(default_factory=list)
    inviter: dict[int, int | None] = field(default_factory=dict)
    status: dict[int, str] = field(default_factory=dict)
    approved_at: dict[int, datetime | None] = field(default_factory=dict)
    path: dict[int, str] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    hubs: list[int] = field(default_factory=list)

    def _newest_first(self, ids):
        return sorted(ids, key=lambda i: (self.approved_at[i], i), reverse=True)

    def direct(self, node: int) -> list[int]:
        """Approved direct invitees, newest approval first (the selector's order)."""
        return self._newest_first([c for c in self.children[node] if self.status[c] == S.APPROVED])

    def indirect(self, node: int) -> list[int]:
        """Approved invitees of any invitee, newest approval first."""
        grand = [g for c in self.children[node] for g in self.children[c] if self.status[g] == S.APPROVED]
        return self._newest_first(grand)

    def upline(self, node: int) -> list[int]:
        chain = []
        parent = self.inviter[node]
        while parent is not None:
            chain.append(parent)
            parent = self.inviter[parent]
        return chain

    def depth(self, node: int) -> int:
        return len(self.upline(node))


def _next_id(model) -> int:
    return (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _reset_sequences(models) -> None:
    """Explicit ids do not move PostgreSQL's sequences; set them past the new rows."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def build_tree(
    size: int = 100_000,
    *,
    seed: int = 20260101,
    roots: int = 20,
    hubs: int = 50,
    hub_share: float = 0.25,
    batch_size: int = 5000,
    level: Level | None = None,
) -> Tree:
    """Insert `size` users and distributors in one tree; return its description."""
    rng = random.Random(seed)
    level = level or Level.objects.order_by("rank").first()
    if level is None:
        level = Level.objects.create(name="普通分销商", rank=1, direct_rate_bp=1000, indirect_rate_bp=500)
    user_base, dist_base = _next_id(User), _next_id(Distributor)
    start = timezone.now() - timedelta(days=400)
    statuses = [s for s, _ in STATUS_WEIGHTS]
    weights = [w for _, w in STATUS_WEIGHTS]

    tree = Tree()
    eligible: list[int] = []  # ever approved: may have invitees
    depth: dict[int, int] = {}
    users: list[User] = []
    distributors: list[Distributor] = []
    for i in range(size):
        did = dist_base + i
        if i < roots:
            parent = None
        elif tree.hubs and rng.random() < hub_share:
            parent = rng.choice(tree.hubs)
        else:
            parent = rng.choice(eligible)
        status = S.APPROVED if i < roots + hubs else rng.choices(statuses, weights)[0]
        joined = start + timedelta(seconds=i * 300)
        approved_at = joined if status in (S.APPROVED, S.SUSPENDED) else None
        path = f"{tree.path[parent] if parent else '/'}{did}/"
        depth[did] = depth[parent] + 1 if parent else 0

        tree.ids.append(did)
        tree.inviter[did] = parent
        tree.status[did] = status
        tree.approved_at[did] = approved_at
        tree.path[did] = path
        if parent is not None:
            tree.children[parent].append(did)
        if approved_at is not None:
            eligible.append(did)
            if roots <= i < roots + hubs:
                tree.hubs.append(did)

        uid = user_base + i
        users.append(
            User(
                id=uid,
                username=f"tree{uid}",
                phone=str(17000000000 + uid),
                nickname=f"成员{uid}",
                password="!",
                date_joined=joined,
            )
        )
        distributors.append(
            Distributor(
                id=did,
                user_id=uid,
                code=f"N{did:07d}",
                inviter_id=parent,
                path=path,
                depth=depth[did],
                level_id=level.pk,
                status=status,
                applied_at=joined,
                approved_at=approved_at,
                status_changed_at=joined,
            )
        )

    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=batch_size)
        Distributor.objects.bulk_create(distributors, batch_size=batch_size)
        _reset_sequences([User, Distributor])
    return tree
