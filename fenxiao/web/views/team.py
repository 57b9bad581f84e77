"""A distributor's team pages and the leaderboards: the team list (direct / indirect tabs, sort,
htmx "load more"), the lazy team tree (one level per request, never past the second), and the
monthly / quarterly boards with the viewer's own rank, the board's prizes, the winners of a closed
period and the viewer's own awards. Read-only: everything comes from `analytics.selectors` and
`growth.selectors.prizes`, which mask other people's names and phones."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from fenxiao.analytics import selectors
from fenxiao.analytics.errors import AnalyticsError
from fenxiao.growth import selectors as growth_selectors

from .helpers import is_htmx, not_found, page_number, viewer_distributor

KIND_TABS = [("direct", gettext_lazy("直推")), ("indirect", gettext_lazy("间推"))]
SORTS = [("joined", gettext_lazy("最新加入")), ("sales", gettext_lazy("本月销售额")), ("orders", gettext_lazy("本月订单数"))]
BOARD_TABS = [("sales", gettext_lazy("销售额")), ("invites", gettext_lazy("有效邀请"))]
# The period picker: (key, kind, offset, label).
PERIODS = [
    ("month", "month", 0, gettext_lazy("本月")),
    ("last_month", "month", -1, gettext_lazy("上月")),
    ("quarter", "quarter", 0, gettext_lazy("本季度")),
    ("last_quarter", "quarter", -1, gettext_lazy("上季度")),
]
SCOPES = [("network", gettext_lazy("全网")), ("team", gettext_lazy("我的团队"))]


def _choice(raw, options, default: str) -> str:
    return raw if raw in {key for key, *_rest in options} else default


@login_required
def team(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    kind = _choice(request.GET.get("kind"), KIND_TABS, "direct")
    sort = _choice(request.GET.get("sort"), SORTS, "joined")
    page = selectors.team_page(distributor, kind=kind, sort=sort, page=page_number(request.GET.get("page")))
    context = {
        "tab": "dc",
        "team": page,
        "kind": kind,
        "sort": sort,
        "next_url": "?" + urlencode({"kind": kind, "sort": sort, "page": page.page + 1}),
    }
    if is_htmx(request) and request.GET.get("page"):
        return render(request, "web/team_members.html", context)
    context.update(
        kind_tabs=[(key, label, "?" + urlencode({"kind": key, "sort": sort})) for key, label in KIND_TABS],
        sorts=[(key, label, "?" + urlencode({"kind": kind, "sort": key})) for key, label in SORTS],
    )
    return render(request, "web/team.html", context)


@login_required
def team_tree(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    context = {
        "tab": "dc",
        "nodes": selectors.tree_children(distributor),
        "counts": selectors.team_counts(distributor),
    }
    return render(request, "web/team_tree.html", context)


@login_required
def team_tree_children(request: HttpRequest, distributor_id: int) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    try:
        nodes = selectors.tree_children(distributor, distributor_id)
    except AnalyticsError as exc:
        return not_found(request, exc.message)
    return render(request, "web/team_tree_children.html", {"nodes": nodes})


@login_required
def leaderboard(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    board = _choice(request.GET.get("board"), BOARD_TABS, "sales")
    period_key = _choice(request.GET.get("period"), PERIODS, "month")
    scope = _choice(request.GET.get("scope"), SCOPES, "network")
    _key, kind, offset, _label = next(p for p in PERIODS if p[0] == period_key)
    result = selectors.leaderboard(distributor, board=board, period=kind, offset=offset, scope=scope)
    current = {"board": board, "period": period_key, "scope": scope}
    # The prizes of this board and period kind, the winners once the period is closed, and my own.
    prizes = growth_selectors.board_prizes(board, kind, result.period.label, viewer_id=distributor.pk)
    my_awards = [
        {
            "award": a,
            "prize": growth_selectors.describe_prize(a),
            "board": a.close.get_board_display(),
            "kind": a.close.get_period_kind_display(),
        }
        for a in growth_selectors.my_awards(distributor.pk, limit=10)
    ]

    def link(**change) -> str:
        return "?" + urlencode({**current, **change})

    context = {
        "tab": "dc",
        "result": result,
        "board": board,
        "period_key": period_key,
        "scope": scope,
        "board_tabs": [(key, label, link(board=key)) for key, label in BOARD_TABS],
        "periods": [(key, label, link(period=key)) for key, _kind, _offset, label in PERIODS],
        "scopes": [(key, label, link(scope=key)) for key, label in SCOPES],
        "prizes": prizes,
        "my_awards": my_awards,
    }
    return render(request, "web/leaderboard.html", context)
