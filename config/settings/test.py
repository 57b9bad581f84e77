"""Settings for the test suite (pytest). Never reads .env: tests see only the real environment."""

import hashlib
import tempfile
from pathlib import Path

from ._local import throwaway_field_key
from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, FENXIAO_FIELD_KEY, SECRET_KEY, env

SECRET_KEY = SECRET_KEY or "insecure-test-only-" + BASE_DIR.name
FENXIAO_FIELD_KEY = FENXIAO_FIELD_KEY or throwaway_field_key()
# The development payment provider is what the suite pays with.
FENXIAO_DEV_PAYMENTS = env.bool("FENXIAO_DEV_PAYMENTS", default=True)
# SMS codes go to the development provider, where the tests read them (fenxiao.sms.selectors.dev_code).
FENXIAO_SMS_PROVIDER = env.str("FENXIAO_SMS_PROVIDER", default="dev").strip().lower()
# No task worker runs under the tests: commissions accrue right after the payment's commit (the live
# server's real commits, or `django_capture_on_commit_callbacks(execute=True)`).
FENXIAO_COMMISSION_ACCRUAL = "inline"
# Pages under test show uploaded images (shop avatars) from /media/.
FENXIAO_SERVE_MEDIA = True

if env.str("DATABASE_URL", default="").strip():
    # No persistent connections: the live-server thread's connection would otherwise keep the test
    # database open at teardown.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Named after the configured database, so `pytest --reuse-db` finds it again and runs against two
    # databases of one server (CI creates a fresh one per run) never share a test database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}"}
else:
    # Tests run on a file, not Django's shared-cache memory database: there a second writer is
    # refused at once ("table is locked") instead of waiting its turn, so the concurrency tests
    # could not show how the real database behaves. The file is named after the configured database
    # file, so `pytest --reuse-db` finds it again; a run without --reuse-db adds its process id
    # (conftest.py), so two runs at once never share a file.
    _configured = Path(DATABASES["default"]["NAME"]).resolve()
    _tag = hashlib.sha1(str(_configured).encode()).hexdigest()[:8]
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"test_{_configured.stem}-{_tag}.sqlite3")}
