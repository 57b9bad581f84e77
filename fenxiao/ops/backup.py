"""PostgreSQL backups: the libpq environment and URL of a database on the server of Django's
connection, and running the PostgreSQL client programs (pg_dump, pg_restore) from the project root."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def libpq_env(conf: dict, dbname: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PGDATABASE": dbname, "PGHOST": conf.get("HOST") or "", "PGPORT": str(conf.get("PORT") or "")})
    if conf.get("USER"):
        env["PGUSER"] = conf["USER"]
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = conf["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def database_url(conf: dict, dbname: str) -> str:
    """A postgres:// URL for `dbname` on the server of the connection settings `conf`."""
    auth = conf.get("USER") or ""
    if conf.get("PASSWORD"):
        auth += f":{conf['PASSWORD']}"
    host = conf.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{conf.get('PORT') or 5432}/{dbname}"


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
