"""Settings for fenxiao, read from the environment (see .env.example).

SQLite under var/ is the embedded default so the demo needs no server; set DATABASE_URL to a
postgres:// URL for production or to run the suite against PostgreSQL.
"""

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FENXIAO_VAR_DIR", BASE_DIR / "var"))


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines from .env without overriding the real environment."""
    if not path.exists():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_env_file(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or os.environ.get("FENXIAO_TESTING") or "pytest" in sys.modules:
        # A throwaway key for local runs; `make demo` writes a generated one into .env.
        SECRET_KEY = "insecure-local-only-" + BASE_DIR.name
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DJANGO_SECRET_KEY is not set (run `make env` to generate .env)")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_URL = os.environ.get("FENXIAO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "fenxiao.accounts",
    "fenxiao.catalog",
    "fenxiao.inventory",
    "fenxiao.suppliers",
    "fenxiao.distribution",
    "fenxiao.payments",
    "fenxiao.ledger",
    "fenxiao.orders",
    "fenxiao.commissions",
    "fenxiao.withdrawals",
    "fenxiao.growth",
    "fenxiao.analytics",
    "fenxiao.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------------------------
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    # Persistent connections in production; none under tests, where the live-server thread's
    # connection would otherwise keep the test database open at teardown.
    _conn_max_age = 0 if "pytest" in sys.modules else int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=_conn_max_age)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("FENXIAO_SQLITE_PATH", str(VAR_DIR / "fenxiao.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN, so concurrent writers queue instead of failing
                # mid-transaction; WAL lets readers run beside a writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
    if "pytest" in sys.modules:
        # Tests run on a file, not Django's shared-cache memory database: there a second writer is
        # refused at once ("table is locked") instead of waiting its turn, so the concurrency tests
        # could not show how the real database behaves.
        import tempfile

        DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"fenxiao-test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "fenxiao.accounts.backends.PhoneOrUsernameBackend",
]
LOGIN_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 6}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when serving from the apps
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("FENXIAO_MEDIA_ROOT", VAR_DIR / "media"))
# Vendor files (WeUI, htmx) come from npm into fenxiao/web/static/vendor; serve straight from the
# app folders so the demo needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30

# --- WeChat Pay (API v3) -------------------------------------------------------------------
# All optional: the wechatpay payment provider is available only when these are set. The platform's
# signatures are checked with the certificates in WECHATPAY_PLATFORM_CERTS_DIR (PEM files) and/or
# the WeChat Pay public key in WECHATPAY_PLATFORM_PUBLIC_KEY_PATH with its id WECHATPAY_PLATFORM_SERIAL.
WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "").strip()
WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "").strip()
WECHATPAY_MERCHANT_SERIAL_NO = os.environ.get("WECHATPAY_MERCHANT_SERIAL_NO", "").strip()
WECHATPAY_PRIVATE_KEY_PATH = os.environ.get("WECHATPAY_PRIVATE_KEY_PATH", "").strip()
WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "").strip()
WECHATPAY_PLATFORM_CERTS_DIR = os.environ.get("WECHATPAY_PLATFORM_CERTS_DIR", "").strip()
WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = os.environ.get("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH", "").strip()
WECHATPAY_PLATFORM_SERIAL = os.environ.get("WECHATPAY_PLATFORM_SERIAL", "").strip()
WECHATPAY_NOTIFY_URL = os.environ.get("WECHATPAY_NOTIFY_URL", "").strip()
WECHATPAY_REFUND_NOTIFY_URL = os.environ.get("WECHATPAY_REFUND_NOTIFY_URL", "").strip()  # defaults to WECHATPAY_NOTIFY_URL
WECHATPAY_API_BASE = os.environ.get("WECHATPAY_API_BASE", "").strip().rstrip("/") or "https://api.mch.weixin.qq.com"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FENXIAO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Orders (defaults from the domain reference; all overridable from the environment) -------------
FENXIAO_UNPAID_TIMEOUT_MINUTES = int(os.environ.get("FENXIAO_UNPAID_TIMEOUT_MINUTES", "30"))
FENXIAO_AUTO_RECEIVE_DAYS = int(os.environ.get("FENXIAO_AUTO_RECEIVE_DAYS", "10"))
FENXIAO_AFTERSALE_WINDOW_DAYS = int(os.environ.get("FENXIAO_AFTERSALE_WINDOW_DAYS", "7"))
FENXIAO_SHIPPING_FEE_FEN = int(os.environ.get("FENXIAO_SHIPPING_FEE_FEN", "1000"))
FENXIAO_FREE_SHIPPING_FROM_FEN = int(os.environ.get("FENXIAO_FREE_SHIPPING_FROM_FEN", "9900"))
# The development payment provider pays at once without money: on for the demo (DEBUG) and tests,
# off in production unless asked for.
FENXIAO_DEV_PAYMENTS = env_bool("FENXIAO_DEV_PAYMENTS", DEBUG or "pytest" in sys.modules)

# --- Withdrawals ----------------------------------------------------------------------------
# Fernet key (urlsafe base64 of 32 bytes) that encrypts ID and payout account numbers at rest and keys
# their lookup digests. `make env` writes one into .env; losing it makes the stored numbers unreadable.
# Local runs and tests without one get a throwaway key per process; production refuses to start.
FENXIAO_FIELD_KEY = os.environ.get("FENXIAO_FIELD_KEY", "").strip()
if not FENXIAO_FIELD_KEY:
    if DEBUG or os.environ.get("FENXIAO_TESTING") or "pytest" in sys.modules:
        import base64

        FENXIAO_FIELD_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("FENXIAO_FIELD_KEY is not set (run `make env` to generate .env)")
