"""Helpers of the jobs tests: local times, and one pass of a real task worker."""

from __future__ import annotations

import io
import signal
from datetime import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone


def local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """The worker and the scheduler drop stale connections between tasks, as long-running processes
    should; inside a test that would close the test's own transaction, so here they keep it."""
    from django_tasks_db.management.commands import db_worker

    from fenxiao.jobs.management.commands import run_scheduler

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(run_scheduler, "close_old_connections", lambda: None)


@pytest.fixture
def run_worker():
    """Run `manage.py db_worker --batch`: take every ready task, run it, record its result, exit.
    The worker installs its own signal handlers; the test process gets its own back afterwards."""

    def run() -> str:
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        out = io.StringIO()
        try:
            call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0", stdout=out)
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
        return out.getvalue()

    return run
