"""Write .env for a local demo: a fresh secret key and demo password, generated on this machine.
An existing .env is left untouched so the demo keeps its logins across runs."""

import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / ".env"

if TARGET.exists():
    sys.exit(0)

template = (ROOT / ".env.example").read_text(encoding="utf-8")
values = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "FENXIAO_DEMO_PASSWORD": "demo-" + secrets.token_hex(3),
    "DJANGO_DEBUG": "1",
}
lines = []
for line in template.splitlines():
    key = line.split("=", 1)[0].strip()
    if key in values and not line.lstrip().startswith("#"):
        line = f"{key}={values[key]}"
    lines.append(line)
TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
print(f"wrote {TARGET.name} with a generated secret key and demo password")
