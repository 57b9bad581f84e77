"""The distributor's three ledger accounts (pending, available, withdrawing) and their balances."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fenxiao.ledger import selectors as ledger_selectors
from fenxiao.ledger.models import Account, balance_expression

from ..services import available_account, pending_account, withdrawing_account

DISTRIBUTOR_PREFIX = "distributor:"
ROLE_SUFFIXES = {"pending": ":pending", "available": ":available", "withdrawing": ":withdrawing"}
ROLES = tuple(ROLE_SUFFIXES)
ROLE_LABELS = {"pending": _("预估收益"), "available": _("可提现"), "withdrawing": _("提现中")}


def balance_of(code: str) -> int:
    """One account's balance from its entries; 0 when it was never opened."""
    if not Account.objects.filter(code=code).exists():
        return 0
    return ledger_selectors.balance(code)


def account_codes(distributor_id: int) -> dict[str, str]:
    """The distributor's three ledger accounts by role: pending, available, withdrawing."""
    return {
        "pending": pending_account(distributor_id),
        "available": available_account(distributor_id),
        "withdrawing": withdrawing_account(distributor_id),
    }


def balances(codes) -> dict[str, int]:
    """The balances of these accounts summed from their entries, in one query; an account that does
    not exist (nothing was ever posted to it) counts as 0."""
    codes = list(codes)
    found = dict(
        Account.objects.filter(code__in=codes).order_by().annotate(derived=balance_expression()).values_list("code", "derived")
    )
    return {code: int(found.get(code) or 0) for code in codes}
