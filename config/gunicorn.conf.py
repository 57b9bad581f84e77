"""gunicorn settings for the web process (see Procfile): everything can be changed from the environment.

GUNICORN_BIND            address to listen on (default 127.0.0.1:8000; the front proxy connects here)
GUNICORN_WORKERS         worker processes (default CPU cores + 1, at least 2; see below)
GUNICORN_THREADS         threads per worker (default 1: sync workers; see below)
GUNICORN_TIMEOUT         seconds a request may take before its worker is restarted (default 30)
FORWARDED_ALLOW_IPS      proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)

Workers and threads were chosen with bench/bench_pages.py (share page and product page, 100
concurrent visitors) on a 2-core machine with PostgreSQL on the same cores: a page is CPU work
(Django, templates, gzip) with short waits for the database in between, so one worker more than
there are cores keeps the cores busy while one worker waits. 3 sync workers answered the share page
at p50 4.4 s against 5.4–7.4 s for 5 workers and 6.8 s for 2 (the queue of 100 visitors on a busy
machine, see bench/README.md); more workers only add processes competing for the same cores and
database connections. Threads (gthread) gave no steadier figures and two of three runs with them
did not complete under load, so workers stay synchronous; the front proxy buffers slow clients.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"
workers = max(2, _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = max(1, _int("GUNICORN_THREADS", 1))
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Restart workers now and then so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1"
# Logs go to stdout/stderr; systemd, honcho or the container runtime collect them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
wsgi_app = "config.wsgi:application"
