"""The settlement job: commissions of completed orders move from pending to available in batches.

When an order completes (its after-sales window has closed) its pending commissions become eligible
(`mark_eligible`). `run_settlement` then settles them on the operator's schedule:

- daily, T+N: a commission whose order completed on local day T is settled by the batch of day T+N;
- weekly / monthly: one batch on the chosen weekday / day of the month, for everything completed at
  least N days before it.

One batch is one period ("2026-11-23", "2026-W48", "2026-11"). The batch row, a single UPDATE of all
the commissions it settles and one ledger transaction (per earner: debit pending, credit available)
commit together or not at all, so the job can be killed at any point and run again: a period whose
batch committed is skipped, and one whose batch did not is done in full. A batch that was missed
(the job did not run that day) is made up by the next run in its period; commissions of earlier
missed periods are simply picked up by the next batch, because the cutoff is "completed before", not
"completed within".

Locks: the batch's UPDATE locks the commission rows it settles before the ledger locks the earners'
accounts in code order; every other writer of commissions does the same (rows first, accounts
last). A refund on a row the batch is updating at that instant may still deadlock with it on
PostgreSQL (the UPDATE does not lock in id order; ordering a million row locks costs more than the
whole batch); the database breaks the tie and the batch, which leaves nothing behind, runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common import periods
from fenxiao.common.money import yuan
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import Side

from ..calculator import ceiling_bp_setting
from ..errors import CommissionCode, CommissionError
from ..models import Commission, CommissionSettings, SettlementBatch
from .accounts import KIND_SETTLE, available_account, pending_account

S = Commission.Status
Schedule = CommissionSettings.Schedule

MAX_T_PLUS_DAYS = 90


def settlement_settings() -> CommissionSettings:
    conf, _created = CommissionSettings.objects.get_or_create(pk=1, defaults={"ceiling_bp": ceiling_bp_setting()})
    return conf


@transaction.atomic
def set_margin_ceiling(*, actor, ceiling_bp: int) -> CommissionSettings:
    """The share of a line's margin (paid − cost) its commissions may take, in basis points. Applies
    to orders paid from now on; commissions already computed keep theirs."""
    if isinstance(ceiling_bp, bool) or not isinstance(ceiling_bp, int) or not 0 <= ceiling_bp <= 10000:
        raise CommissionError(CommissionCode.INVALID_CEILING, gettext("佣金上限必须是毛利的 0%–100%"), {"ceiling_bp": ceiling_bp})
    conf = CommissionSettings.objects.select_for_update().filter(pk=1).first() or settlement_settings()
    conf.ceiling_bp = ceiling_bp
    conf.updated_by = actor if getattr(actor, "pk", None) else None
    conf.save(update_fields=["ceiling_bp", "updated_by", "updated_at"])
    return conf


def validate_schedule(*, schedule, t_plus_days, weekday=0, month_day=1) -> None:
    if schedule not in Schedule.values:
        raise CommissionError(CommissionCode.INVALID_SCHEDULE, gettext("结算周期只能是每日、每周或每月"), {"schedule": schedule})
    for name, value, low, high in (
        ("t_plus_days", t_plus_days, 0, MAX_T_PLUS_DAYS),
        ("weekday", weekday, 0, 6),
        ("month_day", month_day, 1, 28),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CommissionError(
                CommissionCode.INVALID_SCHEDULE,
                gettext("%(name)s 必须在 %(low)d 到 %(high)d 之间") % {"name": name, "low": low, "high": high},
                {name: value},
            )


@transaction.atomic
def update_settlement_settings(
    *, actor, schedule: str, t_plus_days: int, weekday: int = 0, month_day: int = 1
) -> CommissionSettings:
    """Change the schedule. Applies from the next batch; batches already run stay as they were."""
    validate_schedule(schedule=schedule, t_plus_days=t_plus_days, weekday=weekday, month_day=month_day)
    conf = CommissionSettings.objects.select_for_update().filter(pk=1).first() or settlement_settings()
    conf.schedule, conf.t_plus_days, conf.weekday, conf.month_day = schedule, t_plus_days, weekday, month_day
    conf.updated_by = actor if getattr(actor, "pk", None) else None
    conf.save()
    return conf


def mark_eligible(order) -> int:
    """The order completed: its pending commissions may be settled from now on (by the schedule)."""
    return Commission.objects.filter(order_id=order.pk, status=S.PENDING, eligible_at__isnull=True).update(
        eligible_at=order.completed_at or timezone.now()
    )


@dataclass(frozen=True)
class Period:
    key: str
    schedule: str
    batch_day: date  # the local day the batch belongs to
    cutoff: datetime  # commissions eligible before this settle


def current_period(conf: CommissionSettings, now: datetime) -> Period:
    """The batch that is due at `now`: today's (daily), this week's latest batch day (weekly), this
    month's latest batch day (monthly, falling back to last month's before the day comes)."""
    today = timezone.localdate(now)
    if conf.schedule == Schedule.WEEKLY:
        day = today - timedelta(days=(today.weekday() - conf.weekday) % 7)
        year, week, _weekday = day.isocalendar()
        key = f"{year}-W{week:02d}"
    elif conf.schedule == Schedule.MONTHLY:
        day = today.replace(day=conf.month_day)
        if today.day < conf.month_day:
            previous = today.replace(day=1) - timedelta(days=1)
            day = previous.replace(day=conf.month_day)
        key = f"{day:%Y-%m}"
    else:
        day = today
        key = f"{day:%Y-%m-%d}"
    # Completed on local day T settles on day T + N: eligible before the midnight that ends day D − N.
    cutoff = min(periods.local_midnight(day - timedelta(days=conf.t_plus_days) + timedelta(days=1)), now)
    return Period(key=key, schedule=conf.schedule, batch_day=day, cutoff=cutoff)


def _settle_due_rows(batch: SettlementBatch, cutoff: datetime, now: datetime) -> tuple[int, dict[int, int]]:
    """Settle every due commission with one UPDATE (it locks the rows it changes) and return how
    many it settled and, per earner, what those rows leave after cancellations.

    On PostgreSQL the UPDATE returns the rows it changed and the same statement sums them, so what is
    posted is exactly what was updated; elsewhere (SQLite, where the transaction holds the whole
    database) the sums are read back by batch."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Commission._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH moved AS (UPDATE {table} SET status = %s, settled_at = %s, settlement_batch_id = %s "
                f"WHERE status = %s AND eligible_at < %s RETURNING distributor_id, amount_fen - cancelled_fen AS net) "
                "SELECT distributor_id, COUNT(*), SUM(net) FROM moved GROUP BY distributor_id",
                [S.SETTLED, now, batch.pk, S.PENDING, cutoff],
            )
            rows = cursor.fetchall()
        return sum(count for _id, count, _net in rows), {distributor_id: int(net) for distributor_id, _count, net in rows}
    count = Commission.objects.filter(status=S.PENDING, eligible_at__lt=cutoff).update(
        status=S.SETTLED, settled_at=now, settlement_batch=batch
    )
    moves = dict(
        Commission.objects.filter(settlement_batch=batch)
        .order_by()
        .values("distributor_id")
        .annotate(net=Sum(F("amount_fen") - F("cancelled_fen")))
        .values_list("distributor_id", "net")
    )
    return count, moves


def _is_deadlock(exc: OperationalError) -> bool:
    return "deadlock" in str(exc).lower()


def run_settlement(*, now: datetime | None = None, actor=None, attempts: int = 3) -> SettlementBatch | None:
    """Run the batch that is due now, if it has not run yet. Returns the batch, or None when this
    period's batch already exists (or another run is making it at this moment).

    On PostgreSQL a refund that touches a commission row at the very moment the batch updates it may
    deadlock with the batch; the database then aborts one of the two. An aborted batch leaves
    nothing behind, so it simply runs again (`attempts` times in all)."""
    for attempt in range(1, attempts + 1):
        try:
            return _run_settlement_once(now=now, actor=actor)
        except OperationalError as exc:
            if not _is_deadlock(exc) or attempt == attempts or transaction.get_connection().in_atomic_block:
                raise
    return None


def _run_settlement_once(*, now: datetime | None, actor) -> SettlementBatch | None:
    now = now or timezone.now()
    conf = settlement_settings()
    period = current_period(conf, now)
    if SettlementBatch.objects.filter(period=period.key).exists():
        return None
    try:
        with transaction.atomic():
            batch = SettlementBatch.objects.create(
                period=period.key,
                schedule=period.schedule,
                cutoff=period.cutoff,
                started_at=timezone.now(),
                finished_at=timezone.now(),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            count, moves = _settle_due_rows(batch, period.cutoff, now)
            moves = {distributor_id: net for distributor_id, net in moves.items() if net > 0}
            if moves:
                # Every earner's pending and available accounts were opened when its commission
                # accrued; the ledger refuses the posting if one were missing.
                entries = []
                for distributor_id in sorted(moves):
                    entries.append((pending_account(distributor_id), Side.DEBIT, moves[distributor_id]))
                    entries.append((available_account(distributor_id), Side.CREDIT, moves[distributor_id]))
                txn = ledger.post(
                    idempotency_key=f"commission:settle-batch:{period.key}",
                    kind=KIND_SETTLE,
                    entries=entries,
                    memo=gettext("佣金结算批次 %(period)s") % {"period": period.key},
                    reference=period.key,
                    actor=actor,
                )
                batch.ledger_transaction_id = txn.pk
            batch.commission_count = count
            batch.distributor_count = len(moves)
            batch.amount_fen = sum(moves.values())
            batch.finished_at = timezone.now()
            batch.save(
                update_fields=["commission_count", "distributor_count", "amount_fen", "ledger_transaction_id", "finished_at"]
            )
            return batch
    except IntegrityError:
        # Another run created this period's batch first; it does the work.
        if SettlementBatch.objects.filter(period=period.key).exists():
            return None
        raise


def due_summary(*, now: datetime | None = None) -> dict:
    """What the next batch would settle if it ran now: for the operator's console."""
    now = now or timezone.now()
    conf = settlement_settings()
    period = current_period(conf, now)
    figures = Commission.objects.filter(status=S.PENDING, eligible_at__lt=period.cutoff).aggregate(
        count=Count("id"), amount=Sum(F("amount_fen") - F("cancelled_fen"), default=0)
    )
    return {
        "period": period.key,
        "cutoff": period.cutoff,
        "already_run": SettlementBatch.objects.filter(period=period.key).exists(),
        "commission_count": figures["count"] or 0,
        "amount_fen": figures["amount"],
        "amount_yuan": yuan(figures["amount"]),
    }
