"""Production settings: only the real process environment, never the demo `.env`.

Refuses to start (ImproperlyConfigured, naming the variable) when a required variable is missing,
when DEBUG is on, when the development payment provider is enabled, or when the environment comes
from the demo `.env` that `make env` writes (it carries FENXIAO_DEMO_ENV=1).
See README, section 生产部署 · Production.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env


def _refuse(message: str) -> None:
    raise ImproperlyConfigured(f"Production settings refuse to start: {message}")


for _name in ("DJANGO_SECRET_KEY", "FENXIAO_FIELD_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
    if not os.environ.get(_name, "").strip():
        _refuse(f"{_name} is not set.")
if env.bool("FENXIAO_DEMO_ENV", default=False):
    _refuse("FENXIAO_DEMO_ENV is set: this environment was made for the demo (`make env`); use your own.")
if env.bool("DJANGO_DEBUG", default=False):
    _refuse("DJANGO_DEBUG is on; production runs with DJANGO_DEBUG=0.")
if env.bool("FENXIAO_DEV_PAYMENTS", default=False):
    _refuse("FENXIAO_DEV_PAYMENTS is on: the development payment provider marks orders paid without money.")
if env.bool("FENXIAO_DEV_TRANSFERS", default=False):
    _refuse("FENXIAO_DEV_TRANSFERS is on: the development transfer provider marks withdrawals paid without money.")
if env.str("FENXIAO_WECHAT_PROVIDER", default="").strip().lower() == "dev":
    _refuse("FENXIAO_WECHAT_PROVIDER is dev: the development WeChat provider signs anyone in without WeChat.")
if env.str("FENXIAO_SMS_PROVIDER", default="").strip().lower() == "dev":
    _refuse("FENXIAO_SMS_PROVIDER is dev: the development SMS provider shows verification codes instead of sending them.")
if env.str("FENXIAO_TRACKING_PROVIDER", default="").strip().lower() == "dev":
    _refuse("FENXIAO_TRACKING_PROVIDER is dev: the development tracking provider makes parcels up and signs them for.")

DEBUG = False
FENXIAO_DEV_PAYMENTS = False
FENXIAO_DEV_TRANSFERS = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY").strip()
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    _refuse("DJANGO_SECRET_KEY is too short (50+ random characters; see README).")
FENXIAO_FIELD_KEY = env.str("FENXIAO_FIELD_KEY").strip()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
if "*" in ALLOWED_HOSTS:
    _refuse("DJANGO_ALLOWED_HOSTS must list the site's host names, not '*'.")

_database_url = env.str("DATABASE_URL").strip()
if not _database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
    _refuse("DATABASE_URL must be a PostgreSQL URL (postgres://USER:PASSWORD@HOST:5432/NAME).")
DATABASES = {"default": env.db_url_config(_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- HTTPS ----------------------------------------------------------------------------------
# Behind a proxy that terminates TLS, it must set X-Forwarded-Proto (and may redirect http itself:
# then FENXIAO_SSL_REDIRECT=0).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("FENXIAO_USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env.bool("FENXIAO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("FENXIAO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("FENXIAO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("FENXIAO_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is a one-way commitment to browsers' built-in lists; it stays an explicit choice.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if not SECURE_SSL_REDIRECT:
    # Turned off on purpose: the proxy in front redirects http to https.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# Every https origin the site is reached at; defaults to the allowed hosts over https.
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=[f"https://{host.lstrip('.')}" for host in ALLOWED_HOSTS if host != "localhost"]
)

# --- Static and media -----------------------------------------------------------------------
# `manage.py collectstatic` gathers hashed, compressed copies into STATIC_ROOT; WhiteNoise serves
# them with far-future caching. Uploaded media (MEDIA_ROOT) is served by the front proxy, not Django.
WHITENOISE_USE_FINDERS = False
FENXIAO_SERVE_MEDIA = False
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logs -----------------------------------------------------------------------------------
# To stdout, one line per record; FENXIAO_LOG_FORMAT=json for one JSON object per line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if env.str("FENXIAO_LOG_FORMAT", default="plain") == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("FENXIAO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
