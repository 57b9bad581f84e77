"""Production settings refuse unsafe environments, pass `check --deploy`, and every page carries the CSP."""

import base64
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import DistributorFactory

PRODUCTION = "config.settings.production"


def production_env(**changes: str | None) -> dict[str, str]:
    """A realistic production environment (nothing inherited from the test run), with `changes`;
    a value of None removes the variable."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "DJANGO_SECRET_KEY": "k" * 20 + "0123456789abcdefghijABCDEFGHIJ-_",
        "FENXIAO_FIELD_KEY": base64.urlsafe_b64encode(b"f" * 32).decode(),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "DATABASE_URL": "postgres://fenxiao:secret@127.0.0.1:5432/fenxiao_check_only",
    }
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


def import_production(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", f"import {PRODUCTION}"], env)


def test_production_settings_start_with_a_complete_environment():
    result = import_production(production_env())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY is not set."),
        ({"FENXIAO_FIELD_KEY": None}, "FENXIAO_FIELD_KEY is not set."),
        ({"DJANGO_ALLOWED_HOSTS": None}, "DJANGO_ALLOWED_HOSTS is not set."),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set."),
        ({"DATABASE_URL": "sqlite:///var/prod.sqlite3"}, "DATABASE_URL must be a PostgreSQL URL"),
        ({"FENXIAO_DEMO_ENV": "1"}, "FENXIAO_DEMO_ENV is set"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG is on"),
        ({"FENXIAO_DEV_PAYMENTS": "1"}, "FENXIAO_DEV_PAYMENTS is on"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY is too short"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS must list the site's host names"),
    ],
)
def test_production_settings_refuse_an_unsafe_environment(changes, message):
    result = import_production(production_env(**changes))
    assert result.returncode != 0
    assert "ImproperlyConfigured: Production settings refuse to start: " + message in result.stderr


def test_production_settings_never_read_the_demo_env_file():
    """The demo .env sits in the project folder; production must not pick its values up."""
    code = (
        "import environ, pathlib, sys\n"
        "calls = []\n"
        "environ.Env.read_env = classmethod(lambda cls, *a, **k: calls.append(a))\n"
        f"import {PRODUCTION}\n"
        "sys.exit(3 if calls else 0)\n"
    )
    result = run([sys.executable, "-c", code], production_env())
    assert result.returncode == 0, result.stderr


def test_the_demo_env_file_is_marked_as_demo(tmp_path):
    (tmp_path / "scripts").mkdir()
    script = settings.BASE_DIR / "scripts" / "make_env.py"
    (tmp_path / "scripts" / "make_env.py").write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / ".env.example").write_text((settings.BASE_DIR / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    result = run([sys.executable, str(tmp_path / "scripts" / "make_env.py")], {"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Demo configuration")
    assert "FENXIAO_DEMO_ENV=1" in lines
    # Production refuses the values the demo file holds.
    demo_values = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    merged = production_env(**{k: v for k, v in demo_values.items() if v})
    result = import_production(merged)
    assert result.returncode != 0
    assert "FENXIAO_DEMO_ENV is set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_serves_hashed_static_files_and_secure_cookies():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings as s\n"
        "print(s.STORAGES['staticfiles']['BACKEND'], s.WHITENOISE_USE_FINDERS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.DEBUG, s.FENXIAO_DEV_PAYMENTS)\n"
    )
    result = run([sys.executable, "-c", code], production_env(FENXIAO_HSTS_SECONDS="3600"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage False True True "
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://shop.example.com'] False False"
    )


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy).group(1)
    # The nonce handed to htmx (for the styles it injects) is the header's nonce.
    assert f'"inlineStyleNonce": "{nonce}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_inline_style_blocks_carry_the_response_nonce(client):
    distributor = DistributorFactory()
    client.force_login(distributor.user)
    response = client.get(reverse("web:leaderboard"))
    assert response.status_code == 200
    nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    styles = re.findall(r"<style[^>]*>", response.content.decode())
    assert styles == [f'<style nonce="{nonce}">']


@pytest.mark.django_db
def test_api_docs_carry_the_content_security_policy(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()


# --- Shared cache -----------------------------------------------------------------------------


def test_the_default_cache_is_shared_between_processes():
    backend = settings.CACHES["default"]["BACKEND"]
    if os.environ.get("REDIS_URL"):
        assert backend == "django.core.cache.backends.redis.RedisCache"
    else:
        assert backend == "django.core.cache.backends.db.DatabaseCache"
        assert settings.CACHES["default"]["LOCATION"] == "fenxiao_cache"


@pytest.mark.django_db
def test_a_second_poster_comes_from_the_shared_cache(monkeypatch):
    from django.core.cache import cache
    from django.db import connection

    from fenxiao.distribution import poster

    distributor = DistributorFactory()
    url = f"http://testserver/s/{distributor.code}"
    first = poster.shop_poster(distributor, url)
    if not os.environ.get("REDIS_URL"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM fenxiao_cache WHERE cache_key LIKE %s", ["%shop-poster:" + first.etag])
            assert cursor.fetchone()[0] == 1
    # Nothing kept in this process is needed: forget the fonts, and drawing again would fail.
    poster.font_source.cache_clear()
    poster.font.cache_clear()

    def must_not_draw(**kwargs):
        raise AssertionError("drawn again instead of read from the cache")

    monkeypatch.setattr(poster, "render_poster", must_not_draw)
    second = poster.shop_poster(distributor, url)
    assert (second.png, second.etag) == (first.png, first.etag)
    cache.delete(f"shop-poster:{first.etag}")
    with pytest.raises(AssertionError, match="drawn again"):
        poster.shop_poster(distributor, url)


def test_production_leaves_media_to_the_front_proxy():
    code = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/media/shops/a.png'); print('served')\n"
        "except Resolver404:\n    print('not served')\n"
    )
    result = run([sys.executable, "-c", code], production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not served"


@pytest.mark.django_db
def test_tests_and_the_demo_serve_media(client):
    # MEDIA_ROOT is a fresh folder per test (conftest); Django serves whichever is current.
    folder = settings.MEDIA_ROOT / "shops"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("hello", encoding="utf-8")
    response = client.get("/media/shops/a.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
