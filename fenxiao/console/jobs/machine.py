"""The job's states and their one transition table: queued → running → succeeded | failed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fenxiao.common.transitions import StateMachine
from fenxiao.console.models import BackgroundJob

from .errors import ConsoleJobCode, ConsoleJobError

S = BackgroundJob.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.RUNNING}),
    S.RUNNING: frozenset({S.SUCCEEDED, S.FAILED}),
}

JOB_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=S,
    error=ConsoleJobError,
    code=ConsoleJobCode.INVALID_TRANSITION,
    stamps={S.RUNNING: "started_at", S.SUCCEEDED: "finished_at", S.FAILED: "finished_at"},
    what=_("后台作业"),
)
