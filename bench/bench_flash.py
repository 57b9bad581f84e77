"""A flash sale rush over HTTP: 300 signed-in buyers, each with an address, POST /api/v1/orders/flash
at once for an item of 20 units, against gunicorn with the production settings on PostgreSQL, first
with Redis admitting the buyers (the Lua script decides who may go on to the database), then the same
rush with no Redis (the database admits everyone). Each rush must end with exactly 20 orders.

    .venv/bin/python bench/bench_flash.py --database-url postgres://postgres@127.0.0.1:5432/postgres \
        [--database fenxiao_bench_flash] [--redis-url redis://127.0.0.1:6379/15] [--buyers 300] [--units 20]
        [--workers N] [--runs N]

The database `--database` on the server of --database-url is dropped, created and migrated (through
the server's `postgres` database) and dropped again at the end unless --keep. Redis keys are written
under a prefix of the run (`bench:flash:<pid>:`) and deleted at the end; other keys of that Redis
database are not touched.

What is printed, per mode: the orders placed (must equal the units), the answers by status and code
(every other buyer must get 409 `activity_sold_out`), the wall time from the first request sent to
the last answer, answers per second, admissions per second (the units ÷ the time until the last
order's answer), p50 / p95 / p99 of all answers, and the loser's and the winner's answer time
(p50 / p95). Beside them, in the same run: the raw rate of the Redis admission script alone
(`promotions.admission.admit` called in a loop from this process, one client and `--threads`
clients, on an item of its own with plenty of units), which is the ceiling the HTTP path is
compared with. The client runs on the same machine and takes part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from benchlib import percentile  # noqa: E402

PRICE_FEN = 9900
LIST_FEN = 29900


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help="the PostgreSQL server to use")
    parser.add_argument("--database", default="fenxiao_bench_flash", help="the database to create and drop on it")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="rushes per mode, each on a new sale (default 1)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: config/gunicorn.conf.py)")
    parser.add_argument("--admit-calls", type=int, default=20000, help="calls of the bare admission script (default 20000)")
    parser.add_argument("--threads", type=int, default=8, help="parallel clients of the bare admission script (default 8)")
    parser.add_argument("--alone", type=int, default=30, help="buyers asking one at a time after the rush (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "flash.json"), help="'' writes none")
    return parser.parse_args()


# --- the database and the server ------------------------------------------------------------------------


def bench_url(server_url: str, name: str) -> str:
    """The URL of the benchmark's own database on the server of `server_url`."""
    if not name or name == "postgres":
        raise SystemExit("bench_flash: --database names a database of its own (it is dropped and created)")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def admin_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.strip("/")


def recreate(database_url: str) -> None:
    admin, name = admin_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop(database_url: str) -> None:
    admin, name = admin_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, prefix: str, work: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FENXIAO_", "DATABASE_URL", "REDIS_URL"))}
    return dict(
        base,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        FENXIAO_FIELD_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FENXIAO_SSL_REDIRECT="0",
        FENXIAO_VAR_DIR=str(work / "var"),
        FENXIAO_STATIC_ROOT=str(work / "static"),
        FENXIAO_LOG_LEVEL="WARNING",
        FENXIAO_FLASH_REDIS_PREFIX=prefix,
        GUNICORN_LOG_LEVEL="warning",
    )


class Server:
    """gunicorn with config/gunicorn.conf.py, in a process group of its own."""

    def __init__(self, env: dict[str, str], workers: int, log: Path):
        self.log = log
        self.port = free_port()
        self.env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}")
        if workers:
            self.env["GUNICORN_WORKERS"] = str(workers)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py", "--access-logfile", "/dev/null"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            # Django logs every 409 as a warning: the server's output goes to a file, not the report.
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base_url}/api/v1/flash-sales", timeout=30).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench_flash: gunicorn did not start (see {self.log})")
            time.sleep(0.3)

    def warm_up(self, requests: int = 60) -> None:
        """Every worker has loaded its URLs, schemas and database connection before the rush."""

        async def ask() -> None:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=60) as client:
                await asyncio.gather(*(client.get("/api/v1/flash-sales") for _ in range(requests)))

        asyncio.run(ask())

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


# --- the data -------------------------------------------------------------------------------------------


def make_buyers(count: int) -> list[tuple[int, str, int]]:
    """`count` members, each with an address in the book and an API token: (user id, token, address id)."""
    from django.contrib.auth.hashers import make_password

    from fenxiao.accounts.models import User
    from fenxiao.accounts.services import issue_token
    from fenxiao.addresses import services as address_book

    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"flash{n:05d}", phone=f"137{n:08d}", nickname=f"买家{n}", password=password) for n in range(count)]
    )
    buyers = []
    for user in users:
        address = address_book.add_address(
            user=user,
            data={
                "receiver": user.nickname,
                "phone": user.phone,
                "province_code": "33",
                "city_code": "3301",
                "district_code": "330106",
                "detail": "文三路 100 号",
            },
        )
        buyers.append((user.pk, issue_token(user=user), address.pk))
    return buyers


def make_sale(name: str, units: int, *, stock: int | None = None, per_person: int = 1):
    """A running flash sale of one new SKU, its units moved in (and, with Redis, primed)."""
    from django.utils import timezone

    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Category, Product, Sku
    from fenxiao.inventory.models import MAIN_LOCATION, StockRecord
    from fenxiao.promotions.models import FlashItem
    from fenxiao.promotions.services import activities, flash

    operator = User.objects.filter(username="bench-operator").first() or User.objects.create(
        username="bench-operator", is_staff=True, is_superuser=True
    )
    category, _created = Category.objects.get_or_create(slug="bench-flash", defaults={"name": "秒杀"})
    product = Product.objects.create(category=category, name=f"{name} 商品", is_on_shelf=True)
    sku = Sku.objects.create(
        product=product,
        code=f"FL{secrets.token_hex(5)}",
        spec="标准装",
        cost_fen=3000,
        retail_fen=LIST_FEN,
        suggested_retail_fen=LIST_FEN,
        control_fen=20000,
    )
    StockRecord.objects.create(sku=sku, location=MAIN_LOCATION, on_hand=stock or units * 5)
    now = timezone.now()
    sale = activities.save_flash_sale(
        actor=operator,
        name=name,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=2),
        items=[
            {
                "sku_id": sku.pk,
                "price_fen": PRICE_FEN,
                "quantity": units,
                "per_person_limit": per_person,
                "per_order_limit": 1,
            }
        ],
    )
    flash.start_sale(sale.pk)
    return sale, FlashItem.objects.get(sale=sale)


# --- the rush -------------------------------------------------------------------------------------------


async def rush(base_url: str, item_id: int, buyers: list[tuple[int, str, int]]) -> tuple[list[dict], float]:
    """Every buyer POSTs its order at the same moment; returns each answer (time in ms from the common
    start, status, code) and the wall time in seconds from the start to the last answer."""
    go = asyncio.Event()
    answers: list[dict] = []
    limits = httpx.Limits(max_connections=len(buyers), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def buy(token: str, address_id: int) -> None:
            await go.wait()
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/orders/flash",
                json={"item_id": item_id, "quantity": 1, "address_id": address_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            done = time.perf_counter()
            try:
                code = response.json().get("code", "") if response.status_code != 201 else ""
            except ValueError:
                code = "not_json"
            answers.append({"ms": (done - started) * 1000, "at": done, "status": response.status_code, "code": code})

        tasks = [asyncio.create_task(buy(token, address_id)) for _user, token, address_id in buyers]
        await asyncio.sleep(0.2)
        start = time.perf_counter()
        go.set()
        await asyncio.gather(*tasks)
    for answer in answers:
        answer["at"] = (answer["at"] - start) * 1000
    return answers, max(a["at"] for a in answers) / 1000


async def lone_losers(base_url: str, item_id: int, buyers: list[tuple[int, str, int]]) -> list[float]:
    """After the rush, buyers one at a time (no queue): what a sold-out answer itself costs."""
    timings = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for _user, token, address_id in buyers:
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/orders/flash",
                json={"item_id": item_id, "quantity": 1, "address_id": address_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 409:
                raise SystemExit(f"bench_flash: a buyer after the rush got HTTP {response.status_code}")
    return timings


def check_and_figures(mode: str, sale, item, answers: list[dict], wall: float, units: int) -> dict:
    from fenxiao.inventory.models import StockRecord
    from fenxiao.orders.models import Order
    from fenxiao.promotions.models import ActivityOrder

    orders = Order.objects.filter(activity_kind="flash", activity_id=sale.pk).count()
    linked = ActivityOrder.objects.filter(kind="flash", item_id=item.pk).count()
    record = StockRecord.objects.get(sku_id=item.sku_id, location=item.location)
    won = [a for a in answers if a["status"] == 201]
    lost = [a for a in answers if a["status"] != 201]
    outcomes = Counter(f"{a['status']} {a['code']}".strip() for a in answers)
    problems = []
    if orders != units or linked != units or len(won) != units:
        problems.append(f"expected exactly {units} orders: {orders} orders, {linked} linked, {len(won)} answered 201")
    if record.reserved != units or record.on_hand != units:
        problems.append(f"flash stock: on hand {record.on_hand}, reserved {record.reserved} (expected {units} and {units})")
    if any(key != "409 activity_sold_out" for key in outcomes if not key.startswith("201")):
        problems.append(f"unexpected answers: {dict(outcomes)}")
    all_ms = [a["ms"] for a in answers]
    return {
        "mode": mode,
        "buyers": len(answers),
        "orders": orders,
        "outcomes": dict(outcomes),
        "wall_s": round(wall, 3),
        "answers_per_s": round(len(answers) / wall, 1),
        "sold_out_after_s": round(max(a["at"] for a in won) / 1000, 3) if won else None,
        "admissions_per_s": round(len(won) / (max(a["at"] for a in won) / 1000), 1) if won else 0.0,
        "all_ms": {p: round(percentile(all_ms, p), 1) for p in (50, 95, 99)},
        "loser_ms": {p: round(percentile([a["ms"] for a in lost], p), 1) for p in (50, 95)} if lost else {},
        "winner_ms": {p: round(percentile([a["ms"] for a in won], p), 1) for p in (50, 95)} if won else {},
        "problems": problems,
    }


# --- the bare admission script --------------------------------------------------------------------------


def bare_admission(calls: int, threads: int) -> dict:
    """`promotions.admission.admit` in a loop on an item of its own with enough units for every call,
    one client, then `threads` clients side by side: calls per second of the script alone."""
    from django.db import connection

    from fenxiao.promotions import admission

    _sale, item = make_sale("脚本基准", calls * 2, stock=calls * 2, per_person=1)
    connection.close()

    def loop(first_user: int, n: int, out: list[float]) -> None:
        for k in range(n):
            ticket = admission.admit(item_id=item.pk, user_id=first_user + k, quantity=1)
            if ticket is None:
                raise SystemExit("bench_flash: the admission script did not answer (is the item primed?)")
        out.append(n)

    done: list[float] = []
    started = time.perf_counter()
    loop(1_000_000, calls, done)
    one = calls / (time.perf_counter() - started)

    per = calls // threads
    workers = [threading.Thread(target=loop, args=(2_000_000 + t * per, per, done)) for t in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    many = per * threads / (time.perf_counter() - started)
    return {"calls": calls, "one_client_per_s": round(one, 1), "clients": threads, "many_clients_per_s": round(many, 1)}


def redis_answers(redis_url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def forget_redis_keys(redis_url: str, prefix: str) -> int:
    import redis

    if not redis_answers(redis_url):
        return 0
    client = redis.Redis.from_url(redis_url)
    deleted = 0
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        deleted += client.delete(key)
    return deleted


# --- main -----------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_flash: --database-url postgres://… (the server; default $DATABASE_URL) is required")
    args.database_url = bench_url(args.database_url, args.database)
    prefix = f"bench:flash:{os.getpid()}:"
    work = Path(tempfile.mkdtemp(prefix="fenxiao-flash-"))
    recreate(args.database_url)

    use_redis = redis_answers(args.redis_url)
    # This process prepares the data with the development settings on the same database and Redis.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        FENXIAO_TESTING="1",
        DJANGO_DEBUG="0",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url if use_redis else "",
        FENXIAO_FLASH_REDIS_PREFIX=prefix,
    )
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.core.management import call_command

    try:
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        buyers = make_buyers(args.buyers)
        print(
            f"database {admin_url(args.database_url)[1]} migrated, {len(buyers)} buyers in {time.monotonic() - started:.0f} s; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )

        prod = production_env(args.database_url, prefix, work)
        results = []
        modes = ("redis", "database") if use_redis else ("database",)
        if "redis" not in modes:
            print(f"Redis does not answer at {args.redis_url}: only the database admission is measured")
        for mode in modes:
            env = dict(prod, REDIS_URL=args.redis_url) if mode == "redis" else dict(prod)
            for number in range(1, args.runs + 1):
                sale, item = make_sale(f"秒杀 {mode} {number}", args.units)
                with Server(env, args.workers, work / "gunicorn.log") as server:
                    server.warm_up()
                    answers, wall = asyncio.run(rush(server.base_url, item.pk, buyers))
                    alone = asyncio.run(lone_losers(server.base_url, item.pk, buyers[: args.alone]))
                figures = check_and_figures(mode, sale, item, answers, wall, args.units)
                figures["lone_loser_ms"] = {p: round(percentile(alone, p), 1) for p in (50, 95)}
                figures["run"] = number
                results.append(figures)
                print(
                    f"{mode:8} run {number}: {figures['orders']} orders of {args.units}, {figures['buyers']} buyers, "
                    f"wall {figures['wall_s']:.2f} s, {figures['answers_per_s']} answers/s, "
                    f"{figures['admissions_per_s']} admissions/s (sold out after {figures['sold_out_after_s']} s); "
                    f"all p50/p95/p99 {figures['all_ms'][50]}/{figures['all_ms'][95]}/{figures['all_ms'][99]} ms, "
                    f"losers p50/p95 {figures['loser_ms'].get(50)}/{figures['loser_ms'].get(95)} ms, "
                    f"winners p50/p95 {figures['winner_ms'].get(50)}/{figures['winner_ms'].get(95)} ms; "
                    f"a loser alone after the rush p50/p95 {figures['lone_loser_ms'][50]}/{figures['lone_loser_ms'][95]} ms; "
                    f"{figures['outcomes']}"
                )
                for problem in figures["problems"]:
                    print(f"  FAILED: {problem}")
        script = bare_admission(args.admit_calls, args.threads) if "redis" in modes else {}
        if script:
            print(
                f"Redis admission script alone: {script['one_client_per_s']} calls/s with one client, "
                f"{script['many_clients_per_s']} calls/s with {script['clients']} clients ({script['calls']} calls)"
            )
        report = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
            "buyers": args.buyers,
            "units": args.units,
            "workers": args.workers or "config",
            "runs": results,
            "admission_script": script,
        }
        if args.json:
            path = Path(args.json)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
        if any(r["problems"] for r in results):
            print(f"the server's log: {work / 'gunicorn.log'}")
            return 1
        shutil.rmtree(work, ignore_errors=True)
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        forget_redis_keys(args.redis_url, prefix)
        if not args.keep:
            drop(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
