"""Reads: which WeChat identities a user has."""

from __future__ import annotations

from . import client
from .models import WeChatIdentity


def identity(user, kind: str = client.OA) -> WeChatIdentity | None:
    """The user's identity in the configured app of that kind (the latest, if they have several)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    app = client.oa_app() if kind == client.OA else client.mp_app()
    if app is None:
        return None
    return WeChatIdentity.objects.filter(user=user, kind=kind, appid=app.appid).order_by("-updated_at", "-pk").first()


def oa_openid(user) -> str:
    """The user's openid in the configured Official Account ("" when none): the payer of a JSAPI payment."""
    found = identity(user, client.OA)
    return found.openid if found is not None else ""


def mp_openid(user) -> str:
    found = identity(user, client.MP)
    return found.openid if found is not None else ""
