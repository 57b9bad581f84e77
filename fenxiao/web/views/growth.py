"""The distributor's "my level and progress" page: the current level, what the next level needs and
how far it is, and the history of level changes. Read-only: everything comes from growth.selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.growth import selectors, services

from .helpers import viewer_distributor


@login_required
def my_level(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    progress = selectors.level_progress(distributor)
    return render(request, "web/level.html", {"tab": "dc", "distributor": distributor, "progress": progress})


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    """My invitations: valid invites (invitees who bought) and the reward ladder, with claim buttons."""
    distributor = viewer_distributor(request)
    if distributor is None or distributor.status != distributor.Status.APPROVED:
        return redirect("web:apply")
    if request.method == "POST":
        try:
            rung_id = int(request.POST.get("rung", ""))
            services.claim_invitation_reward(distributor=distributor, rung_id=rung_id)
            messages.success(request, gettext("奖励已领取"))
        except ValueError:
            messages.error(request, gettext("请选择要领取的奖励"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("web:invitations")
    counts, ladder = selectors.invitation_ladder(distributor)
    return render(request, "web/invitations.html", {"tab": "dc", "distributor": distributor, "counts": counts, "ladder": ladder})
