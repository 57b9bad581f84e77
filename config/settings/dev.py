"""Local settings for the demo and development: the default of manage.py.

Reads `.env` (written by `make env`) without overriding the real environment, then the shared base.
"""

from pathlib import Path

import environ

environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env", overwrite=False)

from ._local import local_secret, throwaway_field_key  # noqa: E402
from .base import *  # noqa: E402,F403
from .base import BASE_DIR, DEBUG, FENXIAO_FIELD_KEY, SECRET_KEY, env  # noqa: E402

_local_ok = DEBUG or env.bool("FENXIAO_TESTING", default=False)
# A throwaway key for local runs; `make demo` writes a generated one into .env.
SECRET_KEY = local_secret(
    SECRET_KEY, name="DJANGO_SECRET_KEY", allowed=_local_ok, fallback="insecure-local-only-" + BASE_DIR.name
)
FENXIAO_FIELD_KEY = local_secret(FENXIAO_FIELD_KEY, name="FENXIAO_FIELD_KEY", allowed=_local_ok, fallback=throwaway_field_key())

# With DEBUG off the local server serves static files as production does: collected (`make run` /
# `make demo` run collectstatic), hashed names cached for a year, gzip-compressed copies. With DEBUG
# on they are read from the app folders as they are edited. The demo keeps serving its uploads.
if not DEBUG:
    WHITENOISE_USE_FINDERS = False
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    FENXIAO_SERVE_MEDIA = env.bool("FENXIAO_SERVE_MEDIA", default=True)
