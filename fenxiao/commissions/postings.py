"""Every kind of ledger posting that moves a distributor's money, registered once: its label on the
distributor's statement and, for the kinds that pay a distributor out of the platform's pocket, the
expense account it charges. The reconciliation, the statement and the month totals read this
registry, so a new way of paying distributors (a reward, a prize) is covered as soon as it is
registered.

The commissions app registers its own kinds here; the apps above it (withdrawals, growth) register
theirs when they load. `credit_available` is the one way to pay a distributor's withdrawable balance
from an expense: a debt is repaid first simply because the balance is net."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.ledger import kinds as ledger_kinds
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind, Side

from .errors import CommissionCode, CommissionError
from .services import (
    EXPENSE_ACCOUNT,
    KIND_ACCRUE,
    KIND_CANCEL,
    KIND_CLAWBACK,
    KIND_SETTLE,
    TEAM_BONUS_EXPENSE_ACCOUNT,
    available_account,
    ensure_distributor_accounts,
)
from .services.team_bonus import KIND_TEAM_BONUS


class PostingGroup(StrEnum):
    """What a kind does to a distributor's money, for the statement's totals: the app that posts a
    kind says which group it belongs to when it registers it."""

    EARNING = "earning"  # commission accrual, settlement, cancellation, clawback, team bonus
    REWARD = "reward"  # rewards and prizes paid from their own expense
    PAYOUT = "payout"  # money on its way out to the distributor: requested, returned, paid


@dataclass(frozen=True)
class PostingKind:
    kind: str
    label: Any  # lazy text for the statement
    expense_account: str = ""  # the platform expense it charges, for kinds that pay distributors
    expense_name: Any = ""
    group: str = ""  # a PostingGroup


_KINDS: dict[str, PostingKind] = {}


def register(kind: str, label, *, expense_account: str = "", expense_name="", group: str = "") -> PostingKind:
    """Register a posting kind (again with the same values is harmless; a different one is a bug)."""
    group = PostingGroup(group) if group else (PostingGroup.REWARD if expense_account else "")
    entry = PostingKind(kind, label, expense_account, expense_name, group)
    known = _KINDS.get(kind)
    if known is not None and (known.expense_account, str(known.label), known.group) != (expense_account, str(label), group):
        raise ValueError(f"posting kind {kind!r} is registered twice with different meanings")
    _KINDS[kind] = entry
    ledger_kinds.register_label(kind, label)  # the same name on the ledger's own pages
    return entry


def registered() -> tuple[PostingKind, ...]:
    return tuple(_KINDS.values())


def kinds_in(group: PostingGroup) -> frozenset[str]:
    """The kinds registered in a group."""
    return frozenset(entry.kind for entry in _KINDS.values() if entry.group == group)


def label(kind: str) -> str:
    entry = _KINDS.get(kind)
    return str(entry.label) if entry is not None else gettext("其他")


def expense_accounts() -> tuple[str, ...]:
    """Every platform expense that ends up in distributors' balances, commission expense first."""
    seen: dict[str, None] = {}
    for entry in _KINDS.values():
        if entry.expense_account:
            seen.setdefault(entry.expense_account, None)
    return tuple(seen)


def reward_expense_accounts() -> tuple[str, ...]:
    """The expenses other than commission and team bonus: rewards, prizes and whatever comes next."""
    return tuple(a for a in expense_accounts() if a not in (EXPENSE_ACCOUNT, TEAM_BONUS_EXPENSE_ACCOUNT))


def credit_available(
    credits: Mapping[int, int], *, kind: str, idempotency_key: str, memo: str = "", reference: str = "", actor=None
):
    """Pay distributors' withdrawable balances from the kind's expense in one balanced posting (one
    debit of the total, a credit per distributor). The key makes a repeat post nothing twice."""
    entry = _KINDS.get(kind)
    if entry is None or not entry.expense_account:
        raise CommissionError(CommissionCode.UNKNOWN_POSTING_KIND, gettext("未登记的记账类型"), {"kind": kind})
    payable = {int(d): int(amount) for d, amount in credits.items() if int(amount) > 0}
    if not payable:
        raise CommissionError(CommissionCode.NOTHING_TO_CREDIT, gettext("没有要入账的金额"), {"kind": kind})
    ensure_distributor_accounts(sorted(payable))
    ledger.open_accounts({entry.expense_account: {"kind": AccountKind.EXPENSE, "name": str(entry.expense_name or entry.label)}})
    entries = [(entry.expense_account, Side.DEBIT, sum(payable.values()))]
    entries += [(available_account(d), Side.CREDIT, payable[d]) for d in sorted(payable)]
    return ledger.post(
        idempotency_key=idempotency_key,
        kind=kind,
        entries=entries,
        memo=memo,
        reference=reference,
        actor=actor if getattr(actor, "pk", None) is not None else None,
    )


# The commissions app's own kinds.
_EARNING = PostingGroup.EARNING
register(KIND_ACCRUE, _("预估佣金"), expense_account=EXPENSE_ACCOUNT, expense_name=_("佣金费用"), group=_EARNING)
register(KIND_SETTLE, _("佣金结算"), group=_EARNING)
register(KIND_CANCEL, _("退款取消佣金"), group=_EARNING)
register(KIND_CLAWBACK, _("退款追回佣金"), group=_EARNING)
register(
    KIND_TEAM_BONUS, _("团队奖励"), expense_account=TEAM_BONUS_EXPENSE_ACCOUNT, expense_name=_("团队奖励费用"), group=_EARNING
)
