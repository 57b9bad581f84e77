"""Membership on the phone: 会员中心 (tier, spending in the window, progress to the next tier, the
benefits) and 我的积分 (available and frozen points, what expires soon, the movements page by page).
Reads only, through fenxiao.members.selectors."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from fenxiao.members import selectors
from fenxiao.members.models import PointsMovement

MOVEMENTS_PER_PAGE = 20


@login_required
@require_GET
def member_centre(request: HttpRequest) -> HttpResponse:
    view = selectors.overview(request.user)
    context = {
        "tab": "me",
        "view": view,
        "next_text": selectors.next_tier_text(view),
        "progress_percent": view.progress_bp // 100,
        "tiers": selectors.active_tiers(),
    }
    return render(request, "web/member.html", context)


@login_required
@require_GET
def member_points(request: HttpRequest) -> HttpResponse:
    user_id = cast(int, request.user.pk)  # signed in (login_required)
    kinds = dict(PointsMovement.Kind.choices)
    kind = request.GET.get("kind") or None
    if kind not in kinds:
        kind = None
    page = Paginator(selectors.movement_rows(user_id, kind), MOVEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "tab": "me",
        "summary": selectors.points_summary(user_id),
        "ratio": selectors.member_settings().points_per_yuan_off,
        "page": page,
        "kind": kind,
        "kinds": kinds,
        "pager_query": f"kind={kind}" if kind else "",
    }
    return render(request, "web/points.html", context)
