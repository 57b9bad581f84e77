"""Read-only views of commissions and the money they move: what a distributor sees of its earnings
(`earnings`: summary and overview; `orders`: its commission orders; `statement`: the monthly
statement) and finance's reconciliation of the commission books (`reconciliation`). Balances come
from the ledger entries; the cached balances are only compared against them."""

from .accounts import DISTRIBUTOR_PREFIX, ROLE_LABELS, ROLE_SUFFIXES, ROLES, account_codes, balances
from .earnings import (
    EarningsOverview,
    EarningsSummary,
    OrderCommission,
    commissions_of,
    earner_for_user,
    earnings_overview,
    earnings_summary,
    order_commissions,
)
from .months import current_month, parse_month
from .orders import (
    DEPTH_LABELS,
    MAX_PAGE_SIZE,
    ORDER_STATUSES,
    CommissionLine,
    CommissionOrder,
    CommissionOrderPage,
    commission_order,
    commission_orders,
)
from .reconciliation import (
    FIGURE_FIELDS,
    PLATFORM_ACCOUNTS,
    CacheDifference,
    LedgerFigures,
    MonthFlow,
    Reconciliation,
    RowCheck,
    reconciliation,
)
from .statement import AccountStatement, MonthlyStatement, MonthTotals, activity_months, kind_label, monthly_statement

__all__ = [
    "DEPTH_LABELS",
    "DISTRIBUTOR_PREFIX",
    "FIGURE_FIELDS",
    "MAX_PAGE_SIZE",
    "ORDER_STATUSES",
    "PLATFORM_ACCOUNTS",
    "ROLES",
    "ROLE_LABELS",
    "ROLE_SUFFIXES",
    "AccountStatement",
    "CacheDifference",
    "CommissionLine",
    "CommissionOrder",
    "CommissionOrderPage",
    "EarningsOverview",
    "EarningsSummary",
    "LedgerFigures",
    "MonthFlow",
    "MonthTotals",
    "MonthlyStatement",
    "OrderCommission",
    "Reconciliation",
    "RowCheck",
    "account_codes",
    "activity_months",
    "balances",
    "commission_order",
    "commission_orders",
    "commissions_of",
    "current_month",
    "earner_for_user",
    "earnings_overview",
    "earnings_summary",
    "kind_label",
    "monthly_statement",
    "order_commissions",
    "parse_month",
    "reconciliation",
]
