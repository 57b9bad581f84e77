"""What the benchmarks share: a throwaway database of their own and the percentile helper."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "fenxiao_bench"


class BenchDatabase:
    """Points the settings at a throwaway database before Django is set up."""

    def __init__(self, keep: bool):
        self.keep = keep
        self.url = os.environ.get("DATABASE_URL", "").strip()
        self.tmpdir: str | None = None
        self.admin_url: str | None = None
        self.name = BENCH_DB

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    def create(self) -> str:
        if self.is_postgres:
            parts = urlsplit(self.url)
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            # Named after the database given, so two runs against different databases do not collide.
            given = parts.path.strip("/")
            self.name = f"{given}_bench" if given and given != "postgres" else BENCH_DB
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
            os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.name}"))
            return f"PostgreSQL database {self.name} on {parts.hostname}"
        if self.url:
            raise SystemExit(f"bench: unsupported DATABASE_URL {self.url.split(':', 1)[0]}://, use PostgreSQL or none for SQLite")
        self.tmpdir = tempfile.mkdtemp(prefix="fenxiao-bench-")
        path = Path(self.tmpdir) / "bench.sqlite3"
        os.environ["FENXIAO_SQLITE_PATH"] = str(path)
        return f"SQLite file {path}"

    def drop(self) -> None:
        if self.keep:
            return
        if self.is_postgres:
            from django.db import connections

            connections.close_all()
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        elif self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
