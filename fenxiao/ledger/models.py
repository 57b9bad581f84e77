"""A double-entry ledger: accounts, transactions and their entries.

The app knows no domain. An account is named by a code such as "distributor:42:pending" and may say
whose it is with (owner_type, owner_id) for look-ups; what a transaction is about is its `kind` and
`reference`. Money is integer fen.

Balance sign convention (`Account.balance_fen` and every balance the selectors return):

* debit-normal accounts (asset, expense): balance = debits − credits;
* credit-normal accounts (liability, income, equity): balance = credits − debits.

So a positive balance is the normal state of every account; an account that does not allow a
negative balance may never be taken below zero (the database refuses it too).

Transactions and entries are append-only: a row, once written, is never updated or deleted; a
correction is a new transaction (`services.reverse`). `Account.balance_fen` is a cache of the sum of
the account's entries, moved only by `services.post` in the same database transaction as the entries
it sums, and verified by `manage.py ledger_check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Sum, When
from django.utils.translation import gettext_lazy as _

from .errors import LedgerCode, LedgerError


class Side(models.TextChoices):
    DEBIT = "debit", _("借方")
    CREDIT = "credit", _("贷方")


class AccountKind(models.TextChoices):
    ASSET = "asset", _("资产")
    LIABILITY = "liability", _("负债")
    EQUITY = "equity", _("所有者权益")
    INCOME = "income", _("收入")
    EXPENSE = "expense", _("费用")


# The sign convention, in one table: the side on which an account of each kind grows. The Python
# function and the ORM expression below are both read from it.
NORMAL_SIDE: dict[str, str] = {
    AccountKind.ASSET: Side.DEBIT,
    AccountKind.EXPENSE: Side.DEBIT,
    AccountKind.LIABILITY: Side.CREDIT,
    AccountKind.INCOME: Side.CREDIT,
    AccountKind.EQUITY: Side.CREDIT,
}
DEBIT_NORMAL_KINDS = frozenset(kind for kind, side in NORMAL_SIDE.items() if side == Side.DEBIT)


def normal_side(kind: str) -> str:
    """The side on which an account of this kind grows."""
    return NORMAL_SIDE[kind]


def signed_amount(kind: str, side: str, amount_fen: int) -> int:
    """How much an entry moves the balance of an account of this kind (see the sign convention)."""
    return amount_fen if side == normal_side(kind) else -amount_fen


def signed_amount_expression(*, kind: str = "account__kind", side: str = "side", amount: str = "amount_fen") -> Case:
    """`signed_amount` as an ORM expression, for sums in the database: the amount of the entry at
    `side`/`amount`, positive when it is on the normal side of the account kind at `kind`.

    On an Entry query the defaults apply; on an Account query pass the entries' fields:
    `Sum(signed_amount_expression(kind="kind", side="entries__side", amount="entries__amount_fen"), default=0)`
    is each account's balance summed from its entries."""
    grows = Q()
    for normal in (Side.DEBIT, Side.CREDIT):
        kinds = sorted(str(k) for k, s in NORMAL_SIDE.items() if s == normal)
        grows |= Q(**{f"{kind}__in": kinds, side: normal})
    return Case(When(grows, then=F(amount)), default=-F(amount), output_field=models.BigIntegerField())


def balance_expression() -> Sum:
    """An Account query's balance summed from its entries (the source of truth), by the sign convention."""
    return Sum(signed_amount_expression(kind="kind", side="entries__side", amount="entries__amount_fen"), default=0)


class Account(models.Model):
    code = models.CharField(_("账户代码"), max_length=128, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    kind = models.CharField(_("类别"), max_length=16, choices=AccountKind.choices)
    allow_negative = models.BooleanField(_("允许负余额"), default=False)
    owner_type = models.CharField(_("所属对象类型"), max_length=32, blank=True)
    owner_id = models.BigIntegerField(_("所属对象编号"), null=True, blank=True)
    balance_fen = models.BigIntegerField(_("余额"), default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="ledger_account_owner")]
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance_fen__gte=0), name="ledger_account_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="ledger_account_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def normal_side(self) -> str:
        return normal_side(self.kind)


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Refuses bulk updates and deletes: ledger rows are never changed once written."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerError(LedgerCode.APPEND_ONLY, _("账本记录只能追加，不能修改或删除"))

    def delete(self) -> NoReturn:
        raise LedgerError(LedgerCode.APPEND_ONLY, _("账本记录只能追加，不能修改或删除"))

    # bulk_update goes through update(); refusing it here keeps the message the same.
    def bulk_update(self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None) -> NoReturn:
        raise LedgerError(LedgerCode.APPEND_ONLY, _("账本记录只能追加，不能修改或删除"))


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerError(LedgerCode.APPEND_ONLY, _("账本记录只能追加，不能修改或删除"))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerError(LedgerCode.APPEND_ONLY, _("账本记录只能追加，不能修改或删除"))


class Transaction(AppendOnlyModel):
    idempotency_key = models.CharField(_("幂等键"), max_length=128, unique=True)
    kind = models.CharField(_("业务类型"), max_length=32, db_index=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    reference = models.CharField(_("业务编号"), max_length=64, blank=True, db_index=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("冲正的交易"),
    )
    created_at = models.DateTimeField(_("记账时间"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("记账交易")
        verbose_name_plural = _("记账交易")

    def __str__(self) -> str:
        from .kinds import label  # the names are registered by the apps that post

        return f"#{self.pk} {label(self.kind)} {self.idempotency_key}"


class Entry(AppendOnlyModel):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("记账交易"))
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("账户"))
    side = models.CharField(_("方向"), max_length=6, choices=Side.choices)
    amount_fen = models.BigIntegerField(_("金额"))
    created_at = models.DateTimeField(_("记账时间"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        indexes = [models.Index(fields=["account", "created_at", "id"], name="ledger_entry_account_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_entry_amount_positive"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="ledger_entry_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.amount_fen}"
