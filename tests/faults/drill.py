"""Tools for the fault drills: a real process of the project (a management command or the web server)
is started against the test database, held mid-work by a row lock that the drill takes from its own
connection, killed with SIGKILL while it waits inside its transaction, and the work is then run again.

A row lock is the only way to stop a process at a known point without code of its own for the
purpose: the victim has already written what comes before the locked row, inside its transaction,
and dies there. PostgreSQL notices the dead client and rolls that transaction back."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.db import connection

from fenxiao.ops import backup

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def conninfo() -> str:
    """The test database, as the child processes and the lock holder reach it."""
    conf = connection.settings_dict
    parts = [f"dbname={conf['NAME']}"]
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if conf.get(key):
            parts.append(f"{name}={conf[key]}")
    return " ".join(parts)


def database_url() -> str:
    return backup.database_url(connection.settings_dict, connection.settings_dict["NAME"])


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(), "FENXIAO_TESTING": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env or child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen, timeout: int = WAIT_SECONDS) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


@contextmanager
def row_locks(sql: str, params: tuple = ()):
    """Hold FOR UPDATE locks on the rows `sql` selects until the block ends (then roll back)."""
    with psycopg.connect(conninfo(), autocommit=False) as conn:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall(), f"the drill locked no row: {sql} {params}"
            try:
                yield conn.info.backend_pid
            finally:
                conn.rollback()


def blocked_backends(holder_pid: int) -> list[int]:
    """Backends of the test database now waiting for a lock that `holder_pid` holds."""
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
            (holder_pid,),
        ).fetchall()
    return [pid for (pid,) in rows]


def wait_blocked(holder_pid: int, proc: subprocess.Popen | None = None) -> int:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        pids = blocked_backends(holder_pid)
        if pids:
            return pids[0]
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended before it reached the locked row:\n{proc.stdout.read()}")
        time.sleep(0.1)
    raise AssertionError("no process came to wait on the locked rows")


def in_transaction(backend_pid: int) -> bool:
    """Whether the blocked backend has an open transaction that already wrote (holds a transaction id)."""
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone()
    return bool(row and row[0])


def kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=WAIT_SECONDS)
    assert proc.returncode == -signal.SIGKILL


def wait_backend_gone(backend_pid: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with psycopg.connect(conninfo(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone() is None:
                return
        time.sleep(0.1)
    raise AssertionError(f"backend {backend_pid} still there after its process was killed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server ended at start:\n{proc.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the server did not start listening")
