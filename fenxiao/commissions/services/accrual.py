"""Commission accrual: the commissions of paid orders recorded as pending (预估收益).

Payment does not accrue: the orders app tells the commissions app that an order was paid, and once
that transaction has committed the accrual job runs (`accrue_pending`, from the task queue within
seconds, and every minute from the schedule as a safety net). One run accrues every order paid and
not accrued yet, set-based: the orders are claimed with one locking read (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so two runs at once take disjoint sets and never wait on each other or on an order a
payment or refund holds), their commissions are computed with one read of each input (lines,
earners and their levels, overrides, settings) for all of them, inserted with one bulk insert, and
posted as one ledger transaction "commission:accrue-run:<first order id>" (debit the platform's
commission expense, credit each earner's pending account). The claim is the order's
`commissions_accrued_at`, set in the same transaction, so an order is accrued exactly once however
many runs there are: a run that fails leaves its orders unclaimed for the next.

An order that must move on before the job reached it (a refund, a cancellation, completion, an early
settlement) is accrued first, alone and in that transaction (`ensure_accrued`, posting
"commission:accrue:<order>"), so every later step sees the same rows and the same money as if the
job had run.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from fenxiao.catalog.models import CommissionOverride
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.orders.models import Order, OrderLine

from ..calculator import (
    BLOCKED_SELF_PURCHASE,
    CATEGORY,
    PRODUCT,
    EarnerInput,
    OverrideRule,
    ceiling_bp_setting,
    compute_line,
)
from ..models import Commission
from .accounts import KIND_ACCRUE, expense, pending_account, post_moves

#: Orders per run transaction: a backlog is worked through in transactions of this size.
BATCH_SIZE = 1000
MAX_COMMISSION_LEVELS = 2
APPROVED = Distributor.Status.APPROVED


def accrue_pending(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Accrue every paid order whose commissions are not accrued yet. Returns how many orders it
    accrued. Idempotent and safe to run at any frequency, from any number of processes at once."""
    total = 0
    while True:
        done = _accrue_batch(now or timezone.now(), batch_size)
        total += done
        if done < batch_size:
            return total


@transaction.atomic
def _accrue_batch(now, size: int) -> int:
    ids = list(
        Order.objects.select_for_update(skip_locked=True)
        .filter(paid_at__isnull=False, commissions_accrued_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    if not ids:
        return 0
    Order.objects.filter(pk__in=ids).update(commissions_accrued_at=now)
    orders = _order_facts(ids)
    rows = commission_rows(orders)
    insert_commissions(rows, now=now)
    first = orders[0].number
    if len(orders) == 1:
        memo, reference = gettext("订单 %(number)s 预估佣金") % {"number": first}, first
    else:
        memo = ngettext("%(count)d 笔订单预估佣金", "%(count)d 笔订单预估佣金", len(orders)) % {"count": len(orders)}
        reference = f"{first}+{len(orders) - 1}"
    _post_accrual(rows, key=f"commission:accrue-run:{ids[0]}", memo=memo, reference=reference)
    return len(ids)


@transaction.atomic
def accrue_order(order: Order) -> list[Commission]:
    """Accrue one order now, in the caller's transaction, whether or not it is paid (tests and
    repairs). Safe to repeat: an order accrued already (by the job or before) keeps its rows."""
    if _claim(order.pk, paid_only=False):
        _accrue_claimed(order)
    return list(Commission.objects.select_for_update().filter(order_id=order.pk).order_by("id"))


def ensure_accrued(order: Order) -> bool:
    """Accrue a paid order the job has not reached yet, in the caller's transaction; an order never
    paid, or accrued already, is left as it is. Returns whether it accrued now."""
    if not _claim(order.pk, paid_only=True):
        return False
    _accrue_claimed(order)
    return True


def _claim(order_id: int, *, paid_only: bool) -> bool:
    """Mark the order accrued; True only for the one caller that changed it (the row stays locked
    until the caller's transaction ends, so a concurrent claim waits and then finds it taken)."""
    qs = Order.objects.filter(pk=order_id, commissions_accrued_at__isnull=True)
    if paid_only:
        qs = qs.filter(paid_at__isnull=False)
    return bool(qs.update(commissions_accrued_at=timezone.now()))


def _accrue_claimed(order: Order) -> None:
    rows = commission_rows(_order_facts([order.pk]))
    insert_commissions(rows, now=timezone.now())
    _post_accrual(
        rows,
        key=f"commission:accrue:{order.pk}",
        memo=gettext("订单 %(number)s 预估佣金") % {"number": order.number},
        reference=order.number,
    )


def _post_accrual(rows: list[Row], *, key: str, memo: str, reference: str) -> None:
    moves: dict[int, int] = defaultdict(int)
    for row in rows:
        moves[row.distributor_id] += row.amount_fen
    post_moves(key=key, kind=KIND_ACCRUE, moves=moves, debit=expense, credit=pending_account, memo=memo, reference=reference)


# --- computing many orders at once ---------------------------------------------------------------


class OrderFacts(NamedTuple):
    pk: int
    distributor_id: int | None
    is_self_purchase: bool
    number: str


class Row(NamedTuple):
    """One commission row to insert (the columns of Commission a new row sets)."""

    order_id: int
    order_line_id: int
    distributor_id: int
    depth: int
    base_fen: int
    source: str
    mode: str
    rate_bp: int | None
    fixed_fen: int | None
    uncapped_fen: int
    amount_fen: int
    capped: bool
    capped_note: str


def _order_facts(order_ids) -> list[OrderFacts]:
    """The orders' facts for commission; an order whose activity pays no commission has no earner
    (its distributor is left out), so it accrues nothing."""
    rows = (
        Order.objects.filter(pk__in=list(order_ids))
        .annotate(
            earner=Case(When(pays_commission=True, then=F("distributor_id")), default=Value(None), output_field=BigIntegerField())
        )
        .order_by("pk")
        .values_list("pk", "earner", "is_self_purchase", "number")
    )
    return [OrderFacts(*row) for row in rows]


def commission_rows(orders: list[OrderFacts]) -> list[Row]:
    """The commission rows of these orders, line by line; reads every input once for all of them,
    so the number of queries does not grow with orders or lines. The same rules as
    `calculator.compute_order`, which computes one order."""
    earners = _earners_by_order(orders)
    paying = [order.pk for order in orders if earners.get(order.pk)]
    if not paying:
        return []
    lines = list(
        OrderLine.objects.filter(order_id__in=paying)
        .order_by("order_id", "id")
        .values_list("pk", "order_id", "product_id", "category_id", "paid_fen", "unit_cost_fen", "quantity")
    )
    ceiling = ceiling_bp_setting()
    by_product, by_category = _overrides({line[2] for line in lines}, {line[3] for line in lines})
    rows = []
    for line_id, order_id, product_id, category_id, paid_fen, unit_cost_fen, quantity in lines:
        result = compute_line(
            paid_fen=paid_fen,
            cost_fen_total=unit_cost_fen * quantity,
            quantity=quantity,
            earners=earners[order_id],
            overrides={**by_category.get(category_id, {}), **by_product.get(product_id, {})},
            ceiling_bp=ceiling,
            line_id=line_id,
        )
        note = result.explanation[:200]
        for earner in result.earners:
            if earner.distributor_id is None or earner.amount_fen <= 0:
                continue
            rows.append(
                Row(
                    order_id,
                    line_id,
                    earner.distributor_id,
                    earner.depth,
                    result.base_fen,
                    earner.source,
                    earner.mode,
                    earner.rate_bp,
                    earner.fixed_fen,
                    earner.uncapped_fen,
                    earner.amount_fen,
                    result.capped,
                    note,
                )
            )
    return rows


def insert_commissions(rows: list[Row], *, now) -> None:
    """Insert new (pending) commission rows with one statement: from arrays on PostgreSQL, one prepared
    statement run per row elsewhere (a backlog of thousands of orders stays one round trip)."""
    if not rows:
        return
    table = connection.ops.quote_name(Commission._meta.db_table)
    columns = ", ".join((*Row._fields, "cancelled_fen", "clawed_back_fen", "status", "created_at"))
    pending = Commission.Status.PENDING.value
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = (
                "bigint",
                "bigint",
                "bigint",
                "smallint",
                "bigint",
                "varchar",
                "varchar",
                "integer",
                "bigint",
                "bigint",
                "bigint",
                "boolean",
                "varchar",
            )
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT u.*, 0, 0, %s, %s FROM unnest({arrays}) AS u",
                [pending, now, *(list(column) for column in zip(*rows, strict=True))],
            )
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            marks = ", ".join(["%s"] * (len(Row._fields) + 4))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", [(*row, 0, 0, pending, stamp) for row in rows]
            )


def _earners_by_order(orders: list[OrderFacts]) -> dict[int, list[EarnerInput]]:
    """Per order, its earners from its distributor snapshot: direct = the distributor, indirect = the
    nearest upline there is, as many as the operator allows; an unapproved position earns nothing
    (nobody moves up in its place); on a self-purchase with self-purchase commission off the direct
    position earns 0."""
    distributor_ids = {order.distributor_id for order in orders if order.distributor_id}
    if not distributor_ids:
        return {}
    distributors = Distributor.objects.select_related("level").in_bulk(distributor_ids)
    conf = DistributionSettings.objects.filter(pk=1).only("self_purchase_commission", "commission_levels").first()
    self_purchase_pays = conf.self_purchase_commission if conf is not None else True
    depth = min(conf.commission_levels if conf else MAX_COMMISSION_LEVELS, MAX_COMMISSION_LEVELS)
    upline_ids = {i for d in distributors.values() for i in d.ancestor_ids()} if depth > 1 else set()
    uplines = Distributor.objects.select_related("level").in_bulk(upline_ids) if upline_ids else {}
    chains: dict[int, list[Distributor]] = {}
    for pk, distributor in distributors.items():
        chain = [distributor, *(uplines[i] for i in reversed(distributor.ancestor_ids()) if i in uplines)]
        chains[pk] = chain[:depth]
    result: dict[int, list[EarnerInput]] = {}
    for order in orders:
        upline = chains.get(order.distributor_id) if order.distributor_id else None
        if not upline:
            continue
        earners = []
        for position, earner in enumerate(upline, start=1):
            if earner.status != APPROVED:
                continue
            blocked = BLOCKED_SELF_PURCHASE if position == 1 and order.is_self_purchase and not self_purchase_pays else ""
            earners.append(
                EarnerInput(
                    depth=position,
                    direct_rate_bp=earner.level.direct_rate_bp,
                    indirect_rate_bp=earner.level.indirect_rate_bp,
                    distributor_id=earner.pk,
                    blocked_reason=blocked,
                )
            )
        result[order.pk] = earners
    return result


def _overrides(product_ids, category_ids) -> tuple[dict[int, dict], dict[int, dict]]:
    """Every override for these products and categories, in one query."""
    by_product: dict[int, dict] = {}
    by_category: dict[int, dict] = {}
    if not product_ids and not category_ids:
        return by_product, by_category
    rows = CommissionOverride.objects.filter(Q(product_id__in=product_ids) | Q(category_id__in=category_ids)).values(
        "product_id", "category_id", "depth", "mode", "rate_bp", "fixed_fen"
    )
    for row in rows:
        rule = OverrideRule(mode=row["mode"], rate_bp=row["rate_bp"], fixed_fen=row["fixed_fen"])
        if row["product_id"] is not None:
            by_product.setdefault(row["product_id"], {})[(PRODUCT, row["depth"])] = rule
        else:
            by_category.setdefault(row["category_id"], {})[(CATEGORY, row["depth"])] = rule
    return by_product, by_category
