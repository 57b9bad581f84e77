"""Write .env for a local demo: a fresh secret key, field-encryption key and demo password, generated
on this machine. An existing .env is left as it is so the demo keeps its logins across runs, except
that a missing field-encryption key is added (never replaced: it decrypts the data already stored).

The file is marked as demo configuration (a first-line comment and FENXIAO_DEMO_ENV=1): production
settings refuse to start with that marker, so the demo's keys never end up serving real customers."""

import base64
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / ".env"
FIELD_KEY = "FENXIAO_FIELD_KEY"
DEMO_MARKER = "FENXIAO_DEMO_ENV"
HEADER = "# Demo configuration written by `make env` (scripts/make_env.py): not for production."


def field_key() -> str:
    """A Fernet key: urlsafe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _has_value(lines: list[str], key: str) -> bool:
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name.strip() == key and not line.lstrip().startswith("#") and value.strip().strip("\"'"):
            return True
    return False


if TARGET.exists():
    existing = TARGET.read_text(encoding="utf-8").splitlines()
    added = {}
    if not _has_value(existing, FIELD_KEY):
        added[FIELD_KEY] = field_key()
    if not _has_value(existing, DEMO_MARKER):
        added[DEMO_MARKER] = "1"
    if added:
        kept = [line for line in existing if line.partition("=")[0].strip() not in added]
        TARGET.write_text("\n".join([*kept, *(f"{key}={value}" for key, value in added.items())]) + "\n", encoding="utf-8")
        print(f"added {', '.join(added)} to {TARGET.name}")
    sys.exit(0)

template = (ROOT / ".env.example").read_text(encoding="utf-8")
values = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    FIELD_KEY: field_key(),
    "FENXIAO_DEMO_PASSWORD": "demo-" + secrets.token_hex(3),
    "DJANGO_DEBUG": "1",
    DEMO_MARKER: "1",
}
lines = [HEADER]
written = set()
for line in template.splitlines():
    key = line.split("=", 1)[0].strip()
    if key in values and not line.lstrip().startswith("#"):
        line = f"{key}={values[key]}"
        written.add(key)
    lines.append(line)
# Keys the template does not list yet still get their generated value.
lines += [f"{key}={value}" for key, value in values.items() if key not in written]
TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
print(f"wrote {TARGET.name} with a generated secret key, field-encryption key and demo password")
