"""Load test of the production stack with locust: share pages, product pages, checkout and WeChat Pay
payment notifications, for a fixed time, against gunicorn with the production settings on PostgreSQL.

    .venv/bin/python bench/load/run_load.py [--minutes 10] [--users 30] [--database-url postgres://…/postgres]

Steps: a fresh database (`fenxiao_load`, dropped first) is migrated and loaded with the demo data, plus
buyers with API tokens and stock for the whole run; WeChat Pay keys are generated and a local fake of
its API answers the prepay calls; gunicorn starts with the production settings (never the demo .env);
locust runs headless; the figures (throughput, median / p95 / p99, error rate per request) are written
to bench/load/results-<date>.md and printed, beside the same run's figures for a bare static file as the
baseline of what the server and this machine can serve at all. Needs `pip install -r bench/requirements.txt`."""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fenxiao.payments.tests.fake_wechatpay import FakeWeChatPay, certificate_pem, new_rsa_key, private_pem  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--wait-scale", type=float, default=1.0, help="think time between requests; 0 saturates")
    parser.add_argument("--label", default="", help="added to the results file name")
    parser.add_argument("--out", default=str(ROOT / "bench" / "load"))
    args = parser.parse_args()

    admin_url = args.database_url
    db_url = admin_url.rsplit("/", 1)[0] + "/fenxiao_load"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "fenxiao_load" WITH (FORCE)')
        conn.execute('CREATE DATABASE "fenxiao_load"')

    work = Path(tempfile.mkdtemp(prefix="fenxiao-load-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FENXIAO_"))}
    dev = dict(
        base_env,
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=db_url,
        FENXIAO_VAR_DIR=str(work / "var"),
        FENXIAO_DEMO_PASSWORD=secrets.token_urlsafe(12),
        DJANGO_DEBUG="1",
    )
    started = time.monotonic()
    run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], dev)
    run([sys.executable, "manage.py", "createcachetable"], dev)
    run([sys.executable, "manage.py", "seed_demo"], dev)
    fixture = work / "fixture.json"
    print(
        run(
            [sys.executable, "manage.py", "shell", "-c", (ROOT / "bench/load/prepare.py").read_text(encoding="utf-8")],
            dict(dev, LOAD_FIXTURE=str(fixture)),
        ).strip()
    )
    print(f"database ready in {time.monotonic() - started:.0f} s")

    # WeChat Pay: keys of this run only, and a local fake of its API for the prepay calls.
    merchant, platform = new_rsa_key(), new_rsa_key()
    serial_int = secrets.randbits(150) | (1 << 149)
    merchant_serial = "".join(secrets.choice("0123456789ABCDEF") for _ in range(40))
    apiv3 = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    mchid, appid = "1900000109", "wx8888888888888888"
    (work / "apiclient_key.pem").write_bytes(private_pem(merchant))
    certs = work / "platform_certs"
    certs.mkdir()
    (certs / "platform.pem").write_bytes(certificate_pem(platform, serial_int))
    fake = FakeWeChatPay(
        mchid=mchid,
        merchant_serial=merchant_serial,
        merchant_public_key=merchant.public_key(),
        platform_key=platform,
        platform_serial=format(serial_int, "X"),
    ).start()
    keys = work / "keys.json"
    keys.write_text(
        json.dumps(
            {
                "platform_pem": private_pem(platform).decode(),
                "platform_serial": format(serial_int, "X"),
                "apiv3": apiv3,
                "mchid": mchid,
                "appid": appid,
            }
        ),
        encoding="utf-8",
    )

    port = free_port()
    prod = dict(
        base_env,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=db_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        FENXIAO_FIELD_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FENXIAO_SSL_REDIRECT="0",
        FENXIAO_VAR_DIR=str(work / "var"),
        FENXIAO_STATIC_ROOT=str(work / "static"),
        FENXIAO_LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(args.workers),
        GUNICORN_LOG_LEVEL="warning",
        WECHATPAY_MCHID=mchid,
        WECHATPAY_APPID=appid,
        WECHATPAY_MERCHANT_SERIAL_NO=merchant_serial,
        WECHATPAY_PRIVATE_KEY_PATH=str(work / "apiclient_key.pem"),
        WECHATPAY_APIV3_KEY=apiv3,
        WECHATPAY_PLATFORM_CERTS_DIR=str(certs),
        WECHATPAY_NOTIFY_URL="https://shop.example.com/api/v1/payments/wechatpay/notify",
        WECHATPAY_API_BASE=fake.base_url,
    )
    run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], prod)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py", "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env=prod,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        stem = work / "locust"
        load_env = dict(
            base_env,
            LOAD_FIXTURE=str(fixture),
            LOAD_KEYS=str(keys),
            LOAD_DATABASE_URL=db_url,
            LOAD_WAIT_SCALE=str(args.wait_scale),
            PYTHONPATH=str(ROOT),
            DJANGO_SETTINGS_MODULE="config.settings.dev",
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench/load/locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{int(args.minutes * 60)}s",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(stem),
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env=load_env,
            check=False,
        )
        baseline = _baseline(port)
        paid = _paid_figures(db_url)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        fake.stop()
    report = _report(stem.with_name(stem.name + "_stats.csv"), args, baseline, paid)
    out = Path(args.out) / f"results-{datetime.now().astimezone():%Y-%m-%d}{'-' + args.label if args.label else ''}.md"
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"written to {out}")


def _baseline(port: int) -> dict:
    """What the same server answers for a static file alone (WhiteNoise, no database), 2,000 requests
    from 8 threads: the ceiling of this machine and server for any request."""
    import concurrent.futures
    import http.client

    def one(_):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        t = time.perf_counter()
        conn.request("GET", "/static/vendor/htmx/htmx.min.js", headers={"X-Forwarded-Proto": "https"})
        conn.getresponse().read()
        conn.close()
        return time.perf_counter() - t

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        times = sorted(pool.map(one, range(2000)))
    elapsed = time.perf_counter() - started
    return {"rps": 2000 / elapsed, "p50": times[1000] * 1000, "p95": times[1900] * 1000, "p99": times[1980] * 1000}


def _paid_figures(db_url: str) -> dict:
    with psycopg.connect(db_url, autocommit=True) as conn:
        payments = conn.execute(
            "SELECT count(*) FROM payments_payment WHERE provider = 'wechatpay' AND status = 'succeeded'"
        ).fetchone()[0]
        paid = conn.execute(
            "SELECT count(*) FROM orders_order o JOIN payments_payment p ON p.id = o.payment_id "
            "WHERE p.provider = 'wechatpay' AND o.status = 'paid'"
        ).fetchone()[0]
    check = subprocess.run(
        [sys.executable, "manage.py", "ledger_check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FENXIAO_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "DATABASE_URL": db_url,
            "DJANGO_DEBUG": "1",
        },
    )
    return {"paid_orders": paid, "succeeded_payments": payments, "ledger_check": (check.stdout or check.stderr).strip()}


def _report(stats_csv: Path, args, baseline: dict, paid: dict) -> str:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    lines = [
        f"# Load test {datetime.now().astimezone():%Y-%m-%d %H:%M}",
        "",
        f"gunicorn {args.workers} workers (production settings), PostgreSQL, {args.users} locust users "
        f"(share visitors 5 : shoppers 3 : buyers 2), think time × {args.wait_scale:g}, {args.minutes:g} minutes, "
        "locust on the same 2-core machine.",
        "",
        "| request | count | failures | error rate | req/s | median ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        rate = failures / count * 100 if count else 0.0
        lines.append(
            f"| {row['Type']} {row['Name']} | {count} | {failures} | {rate:.2f}% | {float(row['Requests/s']):.1f} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} |"
        )
    lines += [
        "",
        f"Baseline in the same run, a static file from the same server (8 threads, 2,000 requests): "
        f"{baseline['rps']:.0f} req/s, median {baseline['p50']:.1f} ms, p95 {baseline['p95']:.1f} ms, p99 {baseline['p99']:.1f} ms.",
        "",
        f"Afterwards: {paid['succeeded_payments']} WeChat Pay payments succeeded through notifications, "
        f"{paid['paid_orders']} of their orders paid; "
        f"ledger_check: {paid['ledger_check']}",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
