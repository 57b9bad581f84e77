"""Supplier statements (对账单): issuing them per settlement cycle and the supplier's confirmation.

A supplier is owed, for each order line of a completed shipment of its own, the line's cost price ×
quantity × the share of what the buyer paid that was not refunded (`owed_fen`, rounded down by
`fenxiao.common.money.prorate`); a line the buyer paid nothing for (a gift, a sample) is owed its full
cost. A statement counts, for each such line, what it is owed now minus what earlier statements
already counted: a line completed in (or before) the period and not counted yet, and a line refunded
after an earlier statement (a negative amount: a deduction). See docs/decisions/0014.

`issue_statements` issues, once, the statement of the last full period of every supplier (weekly:
Monday 00:00 to the next Monday; monthly: the 1st to the 1st, Asia/Shanghai). The lines are written
by one INSERT … SELECT per cycle, whatever the number of lines, and the totals summed in the database;
only the statements themselves (one per supplier) pass through Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.catalog.models import Sku
from fenxiao.common.money import prorate, yuan
from fenxiao.common.periods import local_midnight, local_today, month_index, month_start
from fenxiao.common.transitions import StateMachine
from fenxiao.orders.models import Order, OrderLine, Shipment
from fenxiao.suppliers.models import Supplier

from ..errors import SupplyCode, SupplyError
from ..models import StatementEvent, StatementLine, SupplierStatement
from . import postings

S = SupplierStatement.Status
# Suppliers per INSERT of lines: four bound parameters each, well inside every database's limit.
CHUNK = 2000
CANDIDATES = "supply_statement_candidates"  # a temporary table of the connection

TRANSITIONS: dict[str, set[str]] = {
    S.ISSUED: {S.CONFIRMED},
    S.CONFIRMED: {S.IN_BATCH},
    S.IN_BATCH: {S.PAID, S.FAILED, S.CONFIRMED},  # confirmed again: its batch was refused at review
    S.FAILED: {S.IN_BATCH, S.CONFIRMED},  # a failed payment goes into a new batch
    S.PAID: set(),
}

STATEMENT_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=SupplyError,
    event_model=StatementEvent,
    event_fk="statement",
    stamps={S.PAID: "paid_at"},
    code=SupplyCode.INVALID_TRANSITION,
    detail_key="number",
    what=gettext_lazy("对账单"),
)


# --- the rule ---------------------------------------------------------------------------------------


def owed_fen(*, unit_cost_fen: int, quantity: int, paid_fen: int, refunded_fen: int) -> int:
    """What the supplier is owed for one line: cost × quantity × (paid − refunded) / paid, rounded down
    to the fen; a line paid nothing (a gift, a sample) is owed its full cost. `OWED_SQL` is the same
    rule in the database."""
    cost = unit_cost_fen * quantity
    if paid_fen == 0:
        return cost
    return prorate(cost, paid_fen - refunded_fen, paid_fen)


# Integer division of non-negative integers is the same floor in PostgreSQL and SQLite.
OWED_SQL = (
    "CASE WHEN l.paid_fen = 0 THEN l.unit_cost_fen * l.quantity "
    "ELSE (l.unit_cost_fen * l.quantity * (l.paid_fen - l.refunded_fen)) / l.paid_fen END"
)


# --- periods ----------------------------------------------------------------------------------------


def period_of(cycle: str, moment: datetime) -> tuple[datetime, datetime]:
    """The cycle's period holding `moment`, as local-midnight bounds [start, end)."""
    day = local_today(moment)
    if cycle == Supplier.Cycle.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return local_midnight(monday), local_midnight(monday + timedelta(days=7))
    first = day.replace(day=1)
    return local_midnight(first), local_midnight(month_start(month_index(first) + 1))


def last_full_period(cycle: str, now: datetime) -> tuple[datetime, datetime]:
    """The latest period of the cycle that has ended at `now`."""
    start, _end = period_of(cycle, now)
    return period_of(cycle, start - timedelta(seconds=1))


def statement_number(supplier_id: int, cycle: str, start: datetime) -> str:
    """One number per supplier and period: ST + first day + W/M + supplier id."""
    letter = "W" if cycle == Supplier.Cycle.WEEKLY else "M"
    return f"ST{timezone.localtime(start, timezone.get_default_timezone()):%Y%m%d}{letter}{supplier_id:06d}"


# --- issuing ----------------------------------------------------------------------------------------


def issue_statements(now: datetime | None = None) -> list[SupplierStatement]:
    """Issue the statement of the last full period of every supplier that has none for it yet and has
    something to count. Running it again issues nothing more. Returns the statements issued."""
    now = now or timezone.now()
    issued: list[SupplierStatement] = []
    for cycle in Supplier.Cycle.values:
        start, end = last_full_period(cycle, now)
        issued += _issue_cycle(cycle, start, end)
    return issued


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def _insert_lines(statement_of: dict[int, int], end: datetime) -> dict[int, tuple[int, int, int]]:
    """Every line of these suppliers (supplier id → its new statement's id) whose owed amount differs
    from what earlier statements counted, written under the supplier's new statement; returns, per
    statement with lines, (line count, goods, deductions) summed from the lines written. Lines never
    counted are found by NOT EXISTS; a line counted before is looked at again only once it has a
    refund (otherwise its owed amount cannot have changed). The statement of each supplier comes from
    a VALUES list, whose size the planner knows (a join with the statements just inserted would be
    planned from their table's stale statistics)."""
    t = {
        "line": StatementLine._meta.db_table,
        "orderline": OrderLine._meta.db_table,
        "shipment": Shipment._meta.db_table,
        "order": Order._meta.db_table,
        "sku": Sku._meta.db_table,
    }
    t = {key: connection.ops.quote_name(value) for key, value in t.items()}
    supplier_ids = sorted(statement_of)
    suppliers = _placeholders(supplier_ids)
    base = (
        f"FROM {t['orderline']} l JOIN {t['shipment']} sh ON sh.id = l.shipment_id "
        f"JOIN {t['order']} o ON o.id = l.order_id JOIN {t['sku']} k ON k.id = l.sku_id "
        f"WHERE sh.status = %s AND sh.completed_at < %s AND sh.supplier_id IN ({suppliers})"
    )
    counted = f"SELECT 1 FROM {t['line']} c WHERE c.order_line_id = l.id"
    columns = "l.id, o.number, k.code, l.product_name, l.quantity, l.unit_cost_fen, sh.supplier_id"
    pairs = ", ".join(["(%s, %s)"] * len(supplier_ids))
    select = (
        "SELECT st.statement_id, x.id AS order_line_id, x.number AS order_number, x.code AS sku_code, x.product_name, "
        "x.quantity, x.unit_cost_fen, x.owed AS owed_fen, x.owed - x.counted AS amount_fen "
        f"FROM (SELECT {columns}, {OWED_SQL} AS owed, 0 AS counted {base} AND NOT EXISTS ({counted}) "
        f"UNION ALL SELECT {columns}, {OWED_SQL} AS owed, "
        f"CAST((SELECT SUM(c.amount_fen) FROM {t['line']} c WHERE c.order_line_id = l.id) AS BIGINT) AS counted "
        f"{base} AND l.refunded_fen > 0 AND EXISTS ({counted})) x "
        f"JOIN (SELECT column1 AS supplier_id, column2 AS statement_id FROM (VALUES {pairs}) AS v) st "
        "ON st.supplier_id = x.supplier_id WHERE x.owed <> x.counted"
    )
    params: list = [Shipment.Status.COMPLETED, _dt(end), *supplier_ids] * 2
    for supplier_id in supplier_ids:
        params += [supplier_id, statement_of[supplier_id]]
    fields = "statement_id, order_line_id, order_number, sku_code, product_name, quantity, unit_cost_fen, owed_fen, amount_fen"
    # Read first, then write: a statement that reads the lines table while it inserts into it may be
    # planned (from the statistics of an empty table) as a scan per candidate line over every row it
    # has written so far.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        cursor.execute(f"CREATE TEMPORARY TABLE {CANDIDATES} AS {select}", params)
        # In order-line order: the new index entries then go in page by page instead of at random
        # (half the time of an unordered insert at a million lines).
        cursor.execute(f"INSERT INTO {t['line']} ({fields}) SELECT {fields} FROM {CANDIDATES} ORDER BY order_line_id")
        cursor.execute(
            "SELECT statement_id, COUNT(*), "
            "COALESCE(SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END), 0) "
            f"FROM {CANDIDATES} GROUP BY statement_id"
        )
        totals = {statement_id: (int(n), int(goods), int(deductions)) for statement_id, n, goods, deductions in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {CANDIDATES}")
    return totals


@transaction.atomic
def _issue_cycle(cycle: str, start: datetime, end: datetime) -> list[SupplierStatement]:
    has_one = SupplierStatement.objects.filter(supplier=OuterRef("pk"), period_start=start, period_end=end)
    has_lines = Shipment.objects.filter(supplier=OuterRef("pk"), status=Shipment.Status.COMPLETED, completed_at__lt=end)
    previous = SupplierStatement.objects.filter(supplier=OuterRef("pk"), period_end__lte=start).order_by("-period_end", "-id")
    # Locking the suppliers makes a second run at the same time wait, then find the statements issued.
    due = list(
        Supplier.objects.select_for_update()
        .filter(settlement_cycle=cycle)
        .filter(~Exists(has_one), Exists(has_lines))
        .annotate(previous_payable=Subquery(previous.values("payable_fen")[:1]))
        .order_by("pk")
        .values_list("pk", "previous_payable")
    )
    if due:
        # Read again now that the locks are held: a run that held them before us has committed its
        # statements, which the locking query's own snapshot may not have seen.
        issued = set(
            SupplierStatement.objects.filter(
                supplier_id__in=[supplier_id for supplier_id, _previous in due], period_start=start, period_end=end
            ).values_list("supplier_id", flat=True)
        )
        due = [(supplier_id, previous) for supplier_id, previous in due if supplier_id not in issued]
    if not due:
        return []
    statements = SupplierStatement.objects.bulk_create(
        SupplierStatement(
            number=statement_number(supplier_id, cycle, start),
            supplier_id=supplier_id,
            period_start=start,
            period_end=end,
            carried_fen=min(previous or 0, 0),
            payable_fen=min(previous or 0, 0),
        )
        for supplier_id, previous in due
    )
    by_id = {s.pk: s for s in statements}
    totals: dict[int, tuple[int, int, int]] = {}
    for start_at in range(0, len(statements), CHUNK):
        totals |= _insert_lines({s.supplier_id: s.pk for s in statements[start_at : start_at + CHUNK]}, end)

    kept: list[SupplierStatement] = []
    for statement_id, (n, goods, deductions) in sorted(totals.items()):
        statement = by_id[statement_id]
        statement.line_count = n
        statement.goods_fen = goods
        statement.deduction_fen = deductions
        statement.amount_fen = statement.goods_fen - statement.deduction_fen
        statement.payable_fen = statement.amount_fen + statement.carried_fen
        kept.append(statement)
    empty = set(by_id) - {s.pk for s in kept}
    if empty:  # nothing changed for these suppliers since their last statement
        SupplierStatement.objects.filter(pk__in=empty).delete()
    if not kept:
        return []
    SupplierStatement.objects.bulk_update(kept, ["line_count", "goods_fen", "deduction_fen", "amount_fen", "payable_fen"])
    StatementEvent.objects.bulk_create(
        StatementEvent(
            statement=s,
            from_status="",
            to_status=S.ISSUED,
            note=gettext("%(n)s 条明细，货款 ¥%(goods)s，扣款 ¥%(deduction)s，应付 ¥%(payable)s")
            % {"n": s.line_count, "goods": yuan(s.goods_fen), "deduction": yuan(s.deduction_fen), "payable": yuan(s.payable_fen)},
        )
        for s in kept
    )
    postings.open_accounts(sorted({s.supplier_id for s in kept}))
    postings.post_statements(kept, period=statement_number(0, cycle, start)[:11])
    return sorted(kept, key=lambda s: s.pk)


# --- the supplier's confirmation ----------------------------------------------------------------------


def _locked_own(statement_id: int, supplier: Supplier) -> SupplierStatement:
    statement = SupplierStatement.objects.select_for_update().filter(pk=statement_id, supplier_id=supplier.pk).first()
    if statement is None:  # another supplier's answers exactly like one that does not exist
        raise SupplyError(SupplyCode.STATEMENT_NOT_FOUND, gettext("对账单不存在"), {"statement_id": statement_id}, status=404)
    return statement


@transaction.atomic
def confirm_statement(statement_id: int, supplier: Supplier, actor=None) -> SupplierStatement:
    """The supplier agrees with its statement; finance may then pay it."""
    statement = _locked_own(statement_id, supplier)
    if statement.status != S.ISSUED:
        raise SupplyError(
            SupplyCode.STATEMENT_ALREADY_CONFIRMED,
            gettext("该对账单已确认"),
            {"number": statement.number, "status": statement.status},
            status=409,
        )
    statement.confirmed_at = timezone.now()
    statement.confirmed_by = actor if getattr(actor, "pk", None) is not None else None
    STATEMENT_MACHINE.move(
        statement, S.CONFIRMED, actor=actor, note=gettext("供应商确认对账单"), extra_fields=["confirmed_at", "confirmed_by"]
    )
    return statement
