"""The `state` of the Official Account's web authorization: random, kept in the visitor's session, good
for one return within a few minutes. A return whose state the session does not hold (forged, from
another browser, already used, expired) is refused, so nobody can log a victim into an attacker's
WeChat account by sending them a return link (login CSRF).

Also the pause after a failed or declined authorization, so a visitor is not sent round again at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_KEY = "wechat_oauth"
SKIP_KEY = "wechat_oauth_skip_until"
STATE_SECONDS = 10 * 60
MAX_PENDING = 5
SKIP_SECONDS = 10 * 60


@dataclass(frozen=True)
class Pending:
    next_url: str
    scope: str


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _live(session) -> dict[str, dict]:
    now = time.time()
    pending = session.get(SESSION_KEY)
    if not isinstance(pending, dict):
        return {}
    return {k: v for k, v in pending.items() if isinstance(v, dict) and now - float(v.get("at", 0)) < STATE_SECONDS}


def new_state(session, *, next_url: str, scope: str) -> str:
    """A fresh state for one authorization, remembered with where to go afterwards."""
    state = secrets.token_urlsafe(24)
    pending = _live(session)
    pending[_digest(state)] = {"next": next_url, "scope": scope, "at": time.time()}
    # a few tabs may be authorizing at once; the oldest beyond that are dropped
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:]
    session[SESSION_KEY] = dict(newest)
    return state


def take_state(session, state: str) -> Pending | None:
    """The authorization `state` belongs to, removed so it cannot be used again; None when the session
    holds no such live state."""
    pending = _live(session)
    if not state or len(state) > 128:
        session[SESSION_KEY] = pending
        return None
    wanted = _digest(state)
    found = None
    for key in list(pending):
        if hmac.compare_digest(key, wanted):
            found = pending.pop(key)
    session[SESSION_KEY] = pending
    if found is None:
        return None
    return Pending(next_url=str(found.get("next") or "/"), scope=str(found.get("scope") or ""))


def pause(session) -> None:
    """Do not send this visitor to authorize again for a while (it failed, or they declined)."""
    session[SKIP_KEY] = time.time() + SKIP_SECONDS


def paused(session) -> bool:
    until = session.get(SKIP_KEY)
    return isinstance(until, (int, float)) and until > time.time()
