"""The backup and restore drill: dump the database with pg_dump, restore the dump into a new database
with pg_restore, and prove the copy is whole — the ledger check and the commission reconciliation pass
on the restored copy and give the same figures as on the source, and every table holds as many rows.

    manage.py backup_drill [--dump PATH] [--keep]

PostgreSQL only. The dump stays (its path is printed): that file is the backup. The restored
database is dropped afterwards unless --keep is given."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fenxiao.ops.backup import database_url, libpq_env, run


class Command(BaseCommand):
    help = "备份与恢复演练：pg_dump 备份，pg_restore 恢复到新库，在恢复的库上核对账本与佣金对账，与原库逐项比对"

    def add_arguments(self, parser):
        parser.add_argument("--dump", help="where to write the dump (default var/backups/<db>-<time>.dump)")
        parser.add_argument("--keep", action="store_true", help="keep the restored database")

    def handle(self, *args, dump=None, keep=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("backup_drill needs PostgreSQL (DATABASE_URL=postgres://…)")
        conf = connection.settings_dict
        source = conf["NAME"]
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = Path(dump) if dump else Path(settings.VAR_DIR) / "backups" / f"{source}-{stamp}.dump"
        path.parent.mkdir(parents=True, exist_ok=True)
        copy = f"{source}_restore_{stamp.replace('-', '_')}"[:63]

        started = time.monotonic()
        done = run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)], libpq_env(conf, source))
        if done.returncode:
            raise CommandError(f"pg_dump failed: {done.stderr.strip()}")
        self.stdout.write(f"backup: {path} ({path.stat().st_size} bytes, {time.monotonic() - started:.1f} s)")

        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{copy}"')
        try:
            started = time.monotonic()
            done = run(
                ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", copy, str(path)],
                libpq_env(conf, copy),
            )
            if done.returncode:
                raise CommandError(f"pg_restore failed: {done.stderr.strip()}")
            self.stdout.write(f"restored into {copy} ({time.monotonic() - started:.1f} s)")
            self._compare(conf, source, copy)
        finally:
            if not keep:
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        self.stdout.write(self.style.SUCCESS("backup drill passed" + (f"; restored copy kept: {copy}" if keep else "")))

    def _compare(self, conf: dict, source: str, copy: str) -> None:
        figures = {}
        for name in (source, copy):
            env = dict(os.environ, DATABASE_URL=database_url(conf, name))
            check = run([sys.executable, "manage.py", "ledger_check"], env)
            if check.returncode:
                raise CommandError(f"ledger_check fails on {name}: {check.stderr.strip() or check.stdout.strip()}")
            self.stdout.write(f"{name}: {check.stdout.strip()}")
            recon = run([sys.executable, "manage.py", "reconcile", "--json"], env)
            if recon.returncode not in (0, 1) or not recon.stdout.strip():
                raise CommandError(f"reconcile failed on {name}: {recon.stderr.strip()}")
            figures[name] = (json.loads(recon.stdout.strip().splitlines()[-1]), self._row_counts(conf, name))
        (src_recon, src_rows), (copy_recon, copy_rows) = figures[source], figures[copy]
        if not copy_recon["ok"]:
            raise CommandError(f"the reconciliation does not pass on the restored copy: {copy_recon}")
        if src_recon != copy_recon:
            raise CommandError(f"the restored copy reconciles differently: {src_recon} != {copy_recon}")
        differing = {t: (n, copy_rows.get(t)) for t, n in src_rows.items() if copy_rows.get(t) != n}
        if differing:
            raise CommandError(f"row counts differ after restore: {differing}")
        self.stdout.write(f"reconciliation ok on both; {len(src_rows)} tables, {sum(src_rows.values())} rows, equal")

    @staticmethod
    def _row_counts(conf: dict, dbname: str) -> dict[str, int]:
        import psycopg

        params = {
            "dbname": dbname,
            "host": conf.get("HOST") or None,
            "port": conf.get("PORT") or None,
            "user": conf.get("USER") or None,
            "password": conf.get("PASSWORD") or None,
        }
        with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                ).fetchall()
            ]
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
