"""The operator's relation chain (关系链), added to the distributor admin's URLs:

- /admin/distribution/distributor/chain/?q=<code or phone>  find a distributor, then its chain
- /admin/distribution/distributor/<id>/chain/               upline path, team counts, direct invitees
- /admin/distribution/distributor/chain/<id>/children/      one more level of the tree (htmx, no depth
                                                             limit for staff)

The distributor change page links here (templates/admin/distribution/distributor/change_form.html).
Staff only (the admin redirects anyone else to its login); viewing needs distribution.view_distributor.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext

from fenxiao.distribution.models import Distributor

from . import selectors
from .errors import AnalyticsError

VIEW_PERMISSION = "distribution.view_distributor"


def _check(request) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _context(site, request, title: str, **more) -> dict:
    return {**site.each_context(request), "opts": Distributor._meta, "title": title, **more}


def search_view(request, *, site):
    _check(request)
    query = request.GET.get("q", "").strip()
    if query:
        found = selectors.find_distributor(query)
        if found is not None:
            return redirect("admin:analytics_chain", found.pk)
    return TemplateResponse(
        request,
        "admin/analytics/chain.html",
        _context(site, request, gettext("关系链"), query=query, not_found=bool(query), chain=None),
    )


def chain_view(request, distributor_id: int, *, site):
    _check(request)
    try:
        found = selectors.chain(distributor_id)
    except AnalyticsError as exc:
        return TemplateResponse(
            request,
            "admin/analytics/chain.html",
            _context(site, request, gettext("关系链"), query="", not_found=True, error=exc.message, chain=None),
            status=404,
        )
    title = gettext("关系链：%(code)s") % {"code": found.distributor.code}
    return TemplateResponse(request, "admin/analytics/chain.html", _context(site, request, title, chain=found, query=""))


def children_view(request, distributor_id: int, *, site):
    _check(request)
    return TemplateResponse(
        request, "admin/analytics/chain_children.html", {"children": selectors.staff_children(distributor_id)}
    )


def register(site: admin.AdminSite) -> None:
    """Prepend the chain pages to the registered distributor admin's URLs."""
    model_admin = site.get_model_admin(Distributor)
    base_urls = model_admin.get_urls

    def get_urls():
        return [
            path("chain/", site.admin_view(lambda r: search_view(r, site=site)), name="analytics_chain_search"),
            path(
                "chain/<int:distributor_id>/children/",
                site.admin_view(lambda r, distributor_id: children_view(r, distributor_id, site=site)),
                name="analytics_chain_children",
            ),
            path(
                "<int:distributor_id>/chain/",
                site.admin_view(lambda r, distributor_id: chain_view(r, distributor_id, site=site)),
                name="analytics_chain",
            ),
            *base_urls(),
        ]

    model_admin.get_urls = get_urls


register(admin.site)
