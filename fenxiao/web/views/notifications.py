"""My notices (站内消息): the list, newest first with the unread ones highlighted; tapping a notice marks
it read and opens the page it points to; "全部已读" marks every one read. Reads through
growth.selectors.notifications, writes through growth.services.notifications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fenxiao.growth import selectors as growth_selectors
from fenxiao.growth import services as growth_services

from .helpers import not_found

NOTICES_PER_PAGE = 20


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(growth_selectors.notices(request.user), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"tab": "me", "page": page, "unread": growth_selectors.unread_count(request.user)}
    return render(request, "web/notifications.html", context)


def _internal(request: HttpRequest, url: str) -> bool:
    """Only a path of this site: a notice never sends the user elsewhere."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})


@login_required
@require_POST
def notification_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = growth_selectors.own_notice(request.user, notice_id)
    if notice is None:
        return not_found(request, _("消息不存在"))
    growth_services.mark_read(request.user, [notice.pk])
    return redirect(notice.url if notice.url and _internal(request, notice.url) else "web:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    if growth_services.mark_all_read(request.user):
        messages.success(request, _("已全部标记为已读"))
    return redirect("web:notifications")
