"""`{% export_button cl %}`: the "导出 Excel" button of a changelist whose list has an export, for
staff who may export it. It posts the list's current query string (filters, search, ordering)."""

from __future__ import annotations

from typing import Any

from django import template

from fenxiao.console.jobs import exports

register = template.Library()


@register.inclusion_tag("console/jobs/_export_button.html", takes_context=True)
def export_button(context: dict[str, Any], changelist: Any) -> dict[str, Any]:
    request = context.get("request")
    spec = exports.for_model(changelist.model)
    allowed = bool(spec and request is not None and exports.may_export(spec, request.user))
    return {
        "allowed": allowed,
        "spec": spec,
        "query": exports.list_query(changelist.get_query_string().lstrip("?")) if allowed else "",
        "csrf_token": context.get("csrf_token"),
    }
