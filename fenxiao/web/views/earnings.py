"""A distributor's earnings pages: the summary with its commission orders (status tabs, htmx "load
more"), one order's commission lines, and the monthly statement. Read-only: everything comes from
`commissions.selectors`; buyers are masked there."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fenxiao.commissions import selectors
from fenxiao.commissions.errors import CommissionError
from fenxiao.commissions.models import Commission

from .helpers import is_htmx, not_found, page_number

S = Commission.Status
ORDERS_PER_PAGE = 10
# Where the withdrawal page lives (built in its own module; linked by URL only).
WITHDRAW_URL = "/me/withdraw/"

# The tabs of the commission orders: key in the query string, label.
TABS = [
    ("", gettext_lazy("全部")),
    (S.PENDING, gettext_lazy("待结算")),
    (S.SETTLED, gettext_lazy("已结算")),
    (S.CANCELLED, gettext_lazy("已失效")),
]


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    distributor = selectors.earner_for_user(request.user)
    if distributor is None:
        return redirect("web:apply")
    status = request.GET.get("status", "")
    if status not in {key for key, _label in TABS}:
        status = ""
    orders = selectors.commission_orders(
        distributor, status=status or None, page=page_number(request.GET.get("page")), page_size=ORDERS_PER_PAGE
    )
    context = {
        "tab": "dc",
        "distributor": distributor,
        "orders": orders,
        "status_key": status,
        "next_url": "?" + urlencode({**({"status": status} if status else {}), "page": orders.page + 1}),
        "Status": S,
    }
    if is_htmx(request) and request.GET.get("page"):
        # "load more": just the next cards and the next button
        return render(request, "web/earnings_orders.html", context)
    context.update(
        overview=selectors.earnings_overview(distributor),
        tabs=TABS,
        withdraw_url=WITHDRAW_URL,
    )
    return render(request, "web/earnings.html", context)


@login_required
def earnings_order(request: HttpRequest, order_id: int) -> HttpResponse:
    distributor = selectors.earner_for_user(request.user)
    if distributor is None:
        return redirect("web:apply")
    order = selectors.commission_order(distributor, order_id)
    if order is None:
        return not_found(request, _("这笔订单没有你的佣金"))
    return render(request, "web/earnings_order.html", {"tab": "dc", "order": order, "Status": S})


@login_required
def earnings_statement(request: HttpRequest) -> HttpResponse:
    """One month's statement: the month picked from the months since the distributor joined (a bad or
    out-of-range month shows the current one, saying why), its totals and balances, and one page of
    its entries. The same queries whatever the page."""
    distributor = selectors.earner_for_user(request.user)
    if distributor is None:
        return redirect("web:apply")
    current = selectors.current_month()
    months = selectors.statement_months(distributor, activity=selectors.activity_months(distributor))
    error = ""
    month = str(request.GET.get("month") or current).strip()
    if month not in months:
        try:
            selectors.parse_month(month)
        except CommissionError as exc:
            error = exc.message
        else:
            error = _("只能查看 %(first)s 至 %(last)s 的账单") % {"first": months[-1], "last": months[0]}
        month = current
    statement = selectors.monthly_statement(distributor, month)
    page = selectors.statement_page(statement, request.GET.get("page"))
    position = months.index(statement.month)
    context = {
        "tab": "dc",
        "statement": statement,
        "accounts": statement.accounts,
        "totals": statement.totals,
        "entries": page.object_list,
        "page": page,
        "pager_query": urlencode({"month": statement.month}),
        "months": months,
        "active_months": set(statement.months),
        "error": error,
        "previous_month": months[position + 1] if position + 1 < len(months) else "",
        "next_month": months[position - 1] if position > 0 else "",
    }
    return render(request, "web/earnings_statement.html", context)
