"""The ledger postings of supplier settlement. The ledger knows no domain: a supplier's payable is an
account named "supplier:<id>:payable" (a liability: what the platform owes the supplier), the cost of
dropshipped goods an expense, and money paid out leaves the same platform cash account distributors'
withdrawals are paid from.

- kind `supplier_statement`, posted in the transaction that issues the statements of a period (one
  posting for all the suppliers issued together): the goods debit the cost expense and credit each
  payable; the deductions (refunds after an earlier statement) debit the payable and credit the cost
  expense back. A payable may go below zero: deductions larger
  than what is owed leave the supplier owing the platform, carried into its next statement.
- "supplier_payout:<number>" (kind `supplier_payout`), posted when the bank says a statement was paid:
  the payable is debited, cash credited.

Each key is unique in the ledger, so an issue or a payout result handled twice posts once.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.ledger import kinds as ledger_kinds
from fenxiao.ledger import services as ledger
from fenxiao.ledger.models import AccountKind, Side

KIND_STATEMENT = "supplier_statement"
KIND_PAYOUT = "supplier_payout"
COST_ACCOUNT = "platform:supplier_cost"
# The platform's bank account that payouts leave from: the same code distributors' withdrawals use.
CASH_ACCOUNT = "platform:cash"
OWNER_TYPE = "supplier"


def payable_account(supplier_id: int) -> str:
    return f"supplier:{int(supplier_id)}:payable"


def register() -> None:
    """Name the kinds once, when the app loads."""
    ledger_kinds.register_label(KIND_STATEMENT, _("供应商对账单"))
    ledger_kinds.register_label(KIND_PAYOUT, _("供应商货款打款"))


def open_accounts(supplier_ids) -> None:
    """Open the payables of these suppliers, the cost expense and cash, those that do not exist yet
    (one look-up and one insert however many suppliers)."""
    specs = {
        payable_account(sid): {
            "kind": AccountKind.LIABILITY,
            "name": gettext("供应商应付货款 #%(id)s") % {"id": sid},
            "allow_negative": True,
            "owner_type": OWNER_TYPE,
            "owner_id": int(sid),
        }
        for sid in supplier_ids
    }
    specs[COST_ACCOUNT] = {"kind": AccountKind.EXPENSE, "name": gettext("代发商品成本")}
    # Same settings as where withdrawals open it: an asset that goes below zero as money is paid out.
    specs[CASH_ACCOUNT] = {"kind": AccountKind.ASSET, "name": gettext("付款账户（提现支出）"), "allow_negative": True}
    ledger.open_accounts(specs)


def statement_entries(statements) -> list[tuple[str, str, int]]:
    """The goods and deductions of these statements: one debit of the cost expense for all the goods,
    a credit of each supplier's payable; a debit of each payable for its deductions, one credit of the
    cost expense for all of them."""
    goods = sum(s.goods_fen for s in statements)
    deductions = sum(s.deduction_fen for s in statements)
    entries: list[tuple[str, str, int]] = []
    if goods > 0:
        entries.append((COST_ACCOUNT, Side.DEBIT, goods))
        entries += [(payable_account(s.supplier_id), Side.CREDIT, s.goods_fen) for s in statements if s.goods_fen > 0]
    if deductions > 0:
        entries += [(payable_account(s.supplier_id), Side.DEBIT, s.deduction_fen) for s in statements if s.deduction_fen > 0]
        entries.append((COST_ACCOUNT, Side.CREDIT, deductions))
    return entries


def post_statements(statements, *, period: str, actor=None) -> None:
    """Post the statements issued together for one period as one balanced transaction (a thousand
    suppliers are one posting, not a thousand). Its key names the period and the statements, so the
    same issue posts once; each supplier's part is its payable's entry."""
    statements = sorted(statements, key=lambda s: s.pk)
    entries = statement_entries(statements)
    if not entries:
        return
    ledger.post(
        idempotency_key=f"supplier_statements:{period}:{statements[0].pk}-{statements[-1].pk}:{len(statements)}",
        kind=KIND_STATEMENT,
        entries=entries,
        memo=(
            gettext("供应商对账单 %(number)s") % {"number": statements[0].number}
            if len(statements) == 1
            else gettext("供应商对账单 %(period)s 期 %(n)s 张") % {"period": period, "n": len(statements)}
        ),
        reference=statements[0].number if len(statements) == 1 else period,
        actor=actor,
    )


def post_payout(statement, *, actor=None) -> None:
    """The bank paid the statement's payable amount."""
    open_accounts([statement.supplier_id])
    ledger.post(
        idempotency_key=f"supplier_payout:{statement.number}",
        kind=KIND_PAYOUT,
        entries=[
            (payable_account(statement.supplier_id), Side.DEBIT, statement.payable_fen),
            (CASH_ACCOUNT, Side.CREDIT, statement.payable_fen),
        ],
        memo=gettext("供应商对账单 %(number)s 已打款") % {"number": statement.number},
        reference=statement.number,
        actor=actor,
    )
