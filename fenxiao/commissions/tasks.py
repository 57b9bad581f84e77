"""Scheduled jobs of the commissions app, idempotent and safe at any frequency: the task worker
(fenxiao/jobs), `manage.py run_jobs` and the management commands call these."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

try:  # Django 6 ships the task API; before it, the backport provides the same one.
    from django.tasks import task, task_backends
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task, task_backends

from .services import accrual, settlement

logger = logging.getLogger(__name__)

#: "queue": a paid order's commissions are accrued by a task worker right after the payment commits
#: (production). "inline": by the process that committed the payment, right after the commit (the
#: demo and the tests, which run no worker). Either way the minute job catches anything left.
ACCRUAL_MODES = ("queue", "inline")


def run_accrual(now=None) -> dict[str, int]:
    return {"accrued": accrual.accrue_pending(now=now)}


@task()
def accrue_commissions() -> dict[str, int]:
    """Accrue the commissions of every paid order not accrued yet (one set-based posting)."""
    return run_accrual()


def accrual_mode() -> str:
    mode = getattr(settings, "FENXIAO_COMMISSION_ACCRUAL", "queue")
    return mode if mode in ACCRUAL_MODES else "queue"


def accrue_after_commit() -> None:
    """Have the paid orders accrued once the current transaction commits (nothing if it rolls back).

    "queue" with the database task backend: the task is enqueued inside the transaction, so it
    commits with the payment, is never lost between the commit and the enqueue, and costs the
    payment one insert. Otherwise (another backend, or "inline") the request goes out on commit."""
    if accrual_mode() == "queue" and _queue_commits_with_transaction():
        accrue_commissions.enqueue()
        return
    waiting = getattr(transaction.get_connection(), "run_on_commit", ())
    if any(entry[1] is _accrue_now_or_enqueue for entry in waiting):
        return  # one request per transaction, however many orders it paid
    transaction.on_commit(_accrue_now_or_enqueue, robust=True)


def _queue_commits_with_transaction() -> bool:
    backend = task_backends[accrue_commissions.backend]
    return type(backend).__module__.startswith("django_tasks_db.") and transaction.get_connection().in_atomic_block


def _accrue_now_or_enqueue() -> None:
    if accrual_mode() == "inline":
        run_accrual()
    else:
        accrue_commissions.enqueue()


def run_settlement(now=None) -> dict[str, int]:
    batch = settlement.run_settlement(now=now)
    if batch is None:
        return {"settled": 0}
    return {"settled": batch.commission_count}


def run_team_bonus(now=None, month: str | None = None) -> dict[str, int]:
    """A closed month's team bonus (default: the previous month) is proposed for finance's approval;
    it is paid when approved. A month already paid or already proposed proposes nothing new."""
    from .services import team_bonus

    proposal = team_bonus.propose_team_bonus(month, now=now)
    return {"team_bonus_proposed": proposal.partner_count if proposal.approval is not None else 0}
