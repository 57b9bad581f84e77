"""What a visitor's phone downloads and waits for: bytes of a first and a repeat visit of the home
page, a distributor's share page and a product page, and time to first byte at 100 concurrent
visitors, against gunicorn with the production settings on PostgreSQL, on the demo data.

    .venv/bin/python bench/bench_pages.py --database-url postgres://postgres@127.0.0.1:5432/fenxiao_pages
        [--requests 2000] [--concurrency 100] [--workers N] [--threads N] [--rounds N] [--root PATH]

The database named in --database-url is dropped and created again (through the server's `postgres`
database), migrated and loaded with seed_demo; it serves this checkout ("after"). --root names an
older checkout (e.g. a release unpacked with `git archive`), served the same way from its own
database, <database>_before, with its own settings and gunicorn configuration ("before"); its vendor
static files are copied from this checkout when it has none. Before and after are measured one after
the other, --rounds times, on the same machine, and printed side by side. --no-seed reuses the
databases as they are.

Bytes: each page is fetched as a browser asking for gzip would; the stylesheets and scripts it links
are fetched the same way; its pictures are counted at their stored size (the front proxy serves
/media/, not gunicorn), those marked loading="lazy" apart. A repeat visit downloads the page again;
a static file is fetched again only when its Cache-Control allows less than a day (hashed names are
cached for a year); pictures are revalidated (304, no body). TTFB: `--requests` GETs per page spread
over `--concurrency` simultaneous visitors, each timed from sending the request to the response
headers; median and p95 in milliseconds. That saturated run keeps 100 requests in flight at every
moment (a measure of throughput more than of what a person waits). A second run, `--think-ms`, has
the same number of visitors browsing: each with a browser of its own (cookies, so a share link's first
visit binds and later ones do not), pausing between pages as people reading do; it prints their TTFB
and the pages served per second. `--redis-url` serves with Redis as the shared cache, as production.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import percentile  # noqa: E402

ASSET_RE = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')
IMG_RE = re.compile(r"<img\b[^>]*>")
SRC_RE = re.compile(r'\bsrc="([^"]+)"')
BROWSER_HEADERS = {
    "Accept-Encoding": "gzip, deflate",
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def recreate(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.strip("/")
    if not name or name == "postgres":
        raise SystemExit("bench_pages: name a database of its own in --database-url (it is dropped and created)")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def wire_bytes(response: httpx.Response) -> int:
    """Bytes of the body as sent (compressed when the server compressed it)."""
    return response.num_bytes_downloaded


def cache_seconds(response: httpx.Response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
    return int(match.group(1)) if match else 0


def page_weight(client: httpx.Client, path: str, media_root: Path) -> dict:
    page = client.get(path)
    page.raise_for_status()
    html = page.text
    assets = {}
    for url in dict.fromkeys(ASSET_RE.findall(html)):
        asset = client.get(url)
        asset.raise_for_status()
        assets[url] = (wire_bytes(asset), asset.headers.get("content-encoding", ""), cache_seconds(asset))
    eager = lazy = 0
    for tag in IMG_RE.findall(html):
        src = SRC_RE.search(tag)
        if not src or not src.group(1).startswith("/media/"):
            continue
        size = (media_root / src.group(1).removeprefix("/media/")).stat().st_size
        if 'loading="lazy"' in tag:
            lazy += size
        else:
            eager += size
    static_first = sum(size for size, _, _ in assets.values())
    static_again = sum(size for size, _, max_age in assets.values() if max_age < 86400)
    html_bytes = wire_bytes(page)
    return {
        "path": path,
        "html": html_bytes,
        "html_encoding": page.headers.get("content-encoding", "") or "identity",
        "static": static_first,
        "static_encodings": sorted({enc or "identity" for _, enc, _ in assets.values()}),
        "static_cached_a_year": all(max_age >= 31536000 for _, _, max_age in assets.values()),
        "images": eager,
        "lazy_images": lazy,
        "first_visit": html_bytes + static_first + eager,
        "repeat_visit": html_bytes + static_again,
    }


async def ttfb(base_url: str, path: str, total: int, concurrency: int) -> list[float]:
    timings: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def visitor(client: httpx.AsyncClient) -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            async with client.stream("GET", path) as response:
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
                await response.aread()

    async with httpx.AsyncClient(base_url=base_url, headers=BROWSER_HEADERS, limits=limits, timeout=60) as client:
        await asyncio.gather(*(visitor(client) for _ in range(concurrency)))
    return timings


async def ttfb_visitors(base_url: str, path: str, total: int, visitors: int, think_ms: float, seed: int = 1) -> list[float]:
    """`visitors` people browsing at once, each with a browser of its own (own connection and cookies):
    a request, then a pause drawn from an exponential distribution of mean `think_ms` (reading the page),
    until `total` requests have been made between them. Each request is timed from sending it to the
    response headers."""
    timings: list[float] = []
    remaining = [total]
    rng = random.Random(seed)

    async def visitor(client: httpx.AsyncClient) -> None:
        await asyncio.sleep(rng.uniform(0, think_ms / 1000))  # visitors arrive spread out, not at once
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            async with client.stream("GET", path) as response:
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
                await response.aread()
            await asyncio.sleep(rng.expovariate(1000 / think_ms))

    # The browsers are made before any request is timed: making one (its TLS context) takes the
    # event loop for milliseconds, which would count in the times of requests in flight.
    clients = [httpx.AsyncClient(base_url=base_url, headers=BROWSER_HEADERS, timeout=60) for _ in range(visitors)]
    try:
        await asyncio.gather(*(visitor(client) for client in clients))
    finally:
        for client in clients:
            await client.aclose()
    return timings


PAGES = ("home", "share", "product")
TIMED = ("share", "product")


def prepare(root: Path, database_url: str, seed: bool) -> tuple[dict[str, str], Path]:
    """Seeds `database_url` with `root`'s demo data (unless `seed` is false), collects `root`'s static
    files and returns the production environment that serves it, and its work directory."""
    # Uploaded pictures live beside the database they belong to: kept for --no-seed.
    work = Path(tempfile.gettempdir()) / f"fenxiao-pages-{urlsplit(database_url).path.strip('/')}"
    work.mkdir(exist_ok=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FENXIAO_", "DATABASE_URL"))}
    common = dict(base_env, DATABASE_URL=database_url, FENXIAO_VAR_DIR=str(work / "var"))
    if seed:
        recreate(database_url)
        dev = dict(
            common,
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            DJANGO_DEBUG="1",
            FENXIAO_DEMO_PASSWORD=secrets.token_urlsafe(12),
        )
        started = time.monotonic()
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], dev, root)
        run([sys.executable, "manage.py", "createcachetable"], dev, root)
        run([sys.executable, "manage.py", "seed_demo"], dev, root)
        print(f"{root}: demo data loaded in {time.monotonic() - started:.0f} s")
    prod = dict(
        common,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        FENXIAO_FIELD_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        FENXIAO_SSL_REDIRECT="0",
        FENXIAO_STATIC_ROOT=str(work / "static"),
        FENXIAO_LOG_LEVEL="WARNING",
        GUNICORN_LOG_LEVEL="warning",
    )
    vendor = Path("fenxiao/web/static/vendor")
    if root != ROOT and not (root / vendor).exists():
        # An unpacked archive lacks the npm packages `make static` places; the same versions as here.
        shutil.copytree(ROOT / vendor, root / vendor)
    run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], prod, root)
    return prod, work


def wait_until_serving(base_url: str, seconds: float = 300) -> None:
    """Until the home page answers: the port opens before the workers have loaded Django."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base_url}/", headers=BROWSER_HEADERS, timeout=60).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_pages: {base_url} did not answer within {seconds:.0f} s")
        time.sleep(0.5)


def measure(root: Path, prod: dict[str, str], work: Path, args: argparse.Namespace) -> dict:
    """Starts gunicorn on `root`, weighs the pages and times the share and product pages."""
    port = free_port()
    env = dict(prod, GUNICORN_BIND=f"127.0.0.1:{port}")
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    product_id = run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from fenxiao.catalog.models import Product; print(Product.objects.filter(is_on_shelf=True).order_by('id').first().pk)",
        ],
        env,
        root,
    ).split()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py", "--access-logfile", "/dev/null"],
        cwd=root,
        env=env,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    result: dict = {"weight": {}, "ttfb": {}, "visitors": {}, "rate": {}}
    try:
        wait_until_serving(base_url)
        paths = {"home": "/", "share": "/s/DEMO01", "product": f"/p/{product_id}/"}
        with httpx.Client(base_url=base_url, headers=BROWSER_HEADERS, timeout=120) as client:
            for label in PAGES:
                result["weight"][label] = page_weight(client, paths[label], work / "var" / "media")
        for label in TIMED:
            asyncio.run(ttfb(base_url, paths[label], min(200, args.requests), args.concurrency))  # warm-up
            result["ttfb"][label] = asyncio.run(ttfb(base_url, paths[label], args.requests, args.concurrency))
            if args.think_ms:
                started = time.perf_counter()
                timings = asyncio.run(ttfb_visitors(base_url, paths[label], args.requests, args.concurrency, args.think_ms))
                result["visitors"][label] = timings
                result["rate"][label] = len(timings) / (time.perf_counter() - started)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return result


def print_weights(title: str, weights: dict) -> None:
    print(f"\n{title}: bytes on the wire (gzip), first and repeat visit")
    print(
        f"{'page':8} {'html':>8} {'css+js':>8} {'pictures':>9} {'lazy':>8} {'first':>8} {'repeat':>8}  encoding / static cached a year"
    )
    for label in PAGES:
        w = weights[label]
        print(
            f"{label:8} {w['html']:>8} {w['static']:>8} {w['images']:>9} {w['lazy_images']:>8} "
            f"{w['first_visit']:>8} {w['repeat_visit']:>8}  {w['html_encoding']}, {'/'.join(w['static_encodings'])} / "
            f"{'yes' if w['static_cached_a_year'] else 'no'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_PAGES_DATABASE_URL", ""), required=False)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: each checkout's config)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn threads per worker (default: each checkout's config)")
    parser.add_argument("--root", default="", help="an older checkout to compare with (served from <database>_before)")
    parser.add_argument("--rounds", type=int, default=1, help="alternate before and after this many times")
    parser.add_argument("--no-seed", action="store_true", help="reuse the database(s) as they are")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=2000,
        help="also time --concurrency visitors who each pause this long on average between pages (0: only the saturated run)",
    )
    parser.add_argument("--redis-url", default="", help="serve with this Redis as the shared cache (production's set-up)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_pages: --database-url postgres://…/<a database of its own> is required")

    targets = {"after": (ROOT, args.database_url)}
    if args.root:
        parts = urlsplit(args.database_url)
        before_url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_before"))
        targets = {"before": (Path(args.root).resolve(), before_url), **targets}
    prepared = {label: prepare(root, url, not args.no_seed) for label, (root, url) in targets.items()}

    timings: dict[str, dict[str, list[float]]] = {label: {page: [] for page in TIMED} for label in targets}
    browsing: dict[str, dict[str, list[float]]] = {label: {page: [] for page in TIMED} for label in targets}
    rates: dict[str, dict[str, list[float]]] = {label: {page: [] for page in TIMED} for label in targets}
    rounds: dict[str, list[dict[str, tuple[float, float]]]] = {label: [] for label in targets}
    weights: dict[str, dict] = {}
    for number in range(1, args.rounds + 1):
        for label, (root, _url) in targets.items():
            result = measure(root, *prepared[label], args)
            weights[label] = result["weight"]
            figures = {}
            for page in TIMED:
                timings[label][page].extend(result["ttfb"][page])
                browsing[label][page].extend(result["visitors"].get(page, []))
                if page in result["rate"]:
                    rates[label][page].append(result["rate"][page])
                figures[page] = (percentile(result["ttfb"][page], 50), percentile(result["ttfb"][page], 95))
            rounds[label].append(figures)
            print(
                f"round {number} {label:6} "
                + "   ".join(f"{page} p50 {p50:7.1f} ms p95 {p95:7.1f} ms" for page, (p50, p95) in figures.items())
            )

    for label, (root, _url) in targets.items():
        print_weights(f"{label} ({root})", weights[label])
    print(
        f"\nTTFB in ms, {args.requests} requests per page and round, {args.concurrency} concurrent visitors, "
        f"{os.cpu_count()} cores, {args.rounds} round(s); all rounds pooled"
    )
    labels = list(targets)
    header = f"{'page':8} {'figure':10}" + "".join(f" {label:>10}" for label in labels)
    print(header)
    for page in TIMED:
        for name, pct in (("p50", 50), ("p95", 95)):
            print(f"{page:8} {name:10}" + "".join(f" {percentile(timings[label][page], pct):10.1f}" for label in labels))
    if args.think_ms:
        print(
            f"\nTTFB in ms of {args.concurrency} visitors browsing at once, each with its own cookies, pausing "
            f"{args.think_ms / 1000:g} s on average between pages; pages served per second"
        )
        print(header)
        for page in TIMED:
            for name, pct in (("p50", 50), ("p95", 95)):
                print(f"{page:8} {name:10}" + "".join(f" {percentile(browsing[label][page], pct):10.1f}" for label in labels))
            print(
                f"{page:8} {'pages/s':10}"
                + "".join(f" {sum(rates[label][page]) / max(1, len(rates[label][page])):10.1f}" for label in labels)
            )
    print(f"\n{'page':8} {'weight':10}" + "".join(f" {label:>10}" for label in labels))
    for page in ("share", "product"):
        print(f"{page:8} {'first KB':10}" + "".join(f" {weights[label][page]['first_visit'] / 1024:10.1f}" for label in labels))
        print(f"{page:8} {'repeat KB':10}" + "".join(f" {weights[label][page]['repeat_visit'] / 1024:10.1f}" for label in labels))


if __name__ == "__main__":
    main()
