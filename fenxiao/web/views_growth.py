"""The distributor's "my level and progress" page: the current level, what the next level needs and
how far it is, and the history of level changes. Read-only: everything comes from growth.selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fenxiao.growth import selectors

from .views import _viewer_distributor


@login_required
def my_level(request: HttpRequest) -> HttpResponse:
    distributor = _viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    progress = selectors.level_progress(distributor)
    return render(request, "web/level.html", {"tab": "dc", "distributor": distributor, "progress": progress})
