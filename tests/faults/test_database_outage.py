"""The database goes away under a running production server (gunicorn, two workers, persistent
connections) and comes back: meanwhile every request answers a clear 503 — the JSON error shape with
Retry-After on the API, a short page elsewhere — never a 500; afterwards every request succeeds again,
without restarting anything.

The outage is made on the server's side, as a restart looks to its clients: every connection of the
server is terminated and new ones are refused (the database's ALLOW_CONNECTIONS), then allowed again."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import httpx
import psycopg
import pytest
from django.db import connection

from tests.factories import ProductFactory, SkuFactory

from . import drill

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the outage is made with PostgreSQL's ALLOW_CONNECTIONS")


def _production_env(static_root) -> dict[str, str]:
    env = drill.child_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        FENXIAO_FIELD_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FENXIAO_SSL_REDIRECT="0",
        FENXIAO_DEV_PAYMENTS="0",
        FENXIAO_DEMO_ENV="0",
        DJANGO_DEBUG="0",
        DATABASE_CONN_MAX_AGE="600",
        FENXIAO_LOG_LEVEL="WARNING",
        FENXIAO_STATIC_ROOT=str(static_root),
    )
    env.pop("FENXIAO_TESTING", None)
    return env


def _production_server(static_root) -> tuple[subprocess.Popen, str]:
    env = _production_env(static_root)
    # Production serves the hashed files that collectstatic gathers.
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=drill.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    port = drill.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ],
        cwd=drill.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    drill.wait_listening(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def _admin(sql: str) -> None:
    with psycopg.connect(
        drill.conninfo().replace(f"dbname={connection.settings_dict['NAME']}", "dbname=postgres"), autocommit=True
    ) as conn:
        conn.execute(sql)


def test_requests_answer_503_while_the_database_is_down_and_recover_without_a_restart(tmp_path):
    product = ProductFactory()
    SkuFactory(product=product, retail_fen=9900, cost_fen=3000, stock=10)
    name = connection.settings_dict["NAME"]
    server, base = _production_server(tmp_path / "static")
    try:
        with httpx.Client(base_url=base, timeout=30, headers={"X-Forwarded-Proto": "https"}) as client:
            for _ in range(6):  # both workers hold a persistent connection
                ok = client.get(f"/api/v1/catalog/products/{product.pk}")
                assert ok.status_code == 200, ok.text

            _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            try:
                _admin(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> {connection.connection.info.backend_pid}"
                )
                for _ in range(4):
                    down = client.get(f"/api/v1/catalog/products/{product.pk}")
                    assert down.status_code == 503, down.text
                    assert down.json()["code"] == "service_unavailable"
                    assert down.headers["Retry-After"].isdigit()
                page = client.get("/")
                assert page.status_code == 503 and "服务暂时不可用" in page.text
            finally:
                _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

            for _ in range(6):
                back = client.get(f"/api/v1/catalog/products/{product.pk}")
                assert back.status_code == 200, back.text
            assert client.get("/").status_code == 200
        assert server.poll() is None, "the server had to be restarted"
    finally:
        drill.kill9(server)
