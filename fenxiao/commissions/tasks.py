"""Scheduled jobs of the commissions app, idempotent and safe at any frequency: the task worker
(fenxiao/jobs), `manage.py run_jobs` and the management commands call these."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

try:  # Django 6 ships the task API; before it, the backport provides the same one.
    from django.tasks import task
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task

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


#: The accrual a payment asks for runs this long after the commit, so that one run takes up every
#: order paid in the meantime instead of one task row per payment.
ACCRUAL_DELAY = timedelta(seconds=1)

# When the accrual task this process last enqueued will run (one per process, guarded by a lock).
_queued_run: dict[str, datetime | None] = {"at": None}
_queued_lock = threading.Lock()


def accrue_after_commit() -> None:
    """Have the paid orders accrued once the current transaction commits (nothing if it rolls back).

    One request per transaction, however many orders it paid, sent after the commit: "inline" accrues
    there and then; "queue" enqueues the accrual task to run ACCRUAL_DELAY later, unless a task this
    process enqueued is still to run after this commit (that run will see this order too). A process
    that dies between the commit and the enqueue loses nothing: the minute job accrues the order."""
    waiting = getattr(transaction.get_connection(), "run_on_commit", ())
    if any(entry[1] is _accrue_now_or_enqueue for entry in waiting):
        return
    transaction.on_commit(_accrue_now_or_enqueue, robust=True)


def _accrue_now_or_enqueue() -> None:
    if accrual_mode() == "inline":
        run_accrual()
        return
    now = timezone.now()
    with _queued_lock:
        queued = _queued_run["at"]
        if queued is not None and queued > now + ACCRUAL_DELAY / 10:
            return  # committed before that run starts, so it accrues this order as well
        run_after = now + ACCRUAL_DELAY
        _queued_run["at"] = run_after
    accrue_commissions.using(run_after=run_after).enqueue()


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
