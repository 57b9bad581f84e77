"""Separation of duties: staff never act on something of their own.

Every service that approves, rejects, pays, refunds, reviews or rewards calls `refuse_own` with the
user the object belongs to, so the API and the console refuse in the same way.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .errors import CommonCode, DomainError


class DutyError(DomainError):
    status = 403
    codes = CommonCode


def refuse_own(actor: Any, owner_user_id: int | None, *, what: str = "") -> None:
    """Refuse when the acting staff user is the one the object belongs to (or benefits from)."""
    actor_id = getattr(actor, "pk", None)
    if actor_id is None or owner_user_id is None:
        return
    if actor_id == owner_user_id:
        raise DutyError(
            CommonCode.OWN_OBJECT,
            _("不能审批、支付或奖励与自己有关的事项，请由其他同事处理"),
            {"object": what} if what else {},
        )


def refuse_proposer(actor: Any, proposer_id: int | None, *, what: str = "") -> None:
    """Maker–checker: whoever proposed a payout is never the one who approves it."""
    actor_id = getattr(actor, "pk", None)
    if actor_id is not None and proposer_id is not None and actor_id == proposer_id:
        raise DutyError(
            CommonCode.OWN_PROPOSAL,
            _("不能审批自己提交的申请，请由另一位同事审批"),
            {"object": what} if what else {},
        )
