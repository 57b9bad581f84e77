"""The "新手上路" card of the distributor centre: the starter pack's coupons still held and the first
steps (share the shop, a first order, a first invitee), each ticked from the figures the page has."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from fenxiao.promotions.selectors_campaigns import starter_coupons_held

register = template.Library()


@register.inclusion_tag("web/_starter_card.html", takes_context=True)
def starter_card(context) -> dict:
    """Reads what /dc/ already has in its context (bound customers, shop orders, downline counts);
    one query for the starter coupons held."""
    request = context.get("request")
    user = getattr(request, "user", None)
    customers = context.get("customers") or 0
    orders = context.get("shop_order_count") or 0
    counts = context.get("counts")
    direct = getattr(counts, "direct", 0) or 0
    steps = [
        {"key": "share", "label": _("分享你的小店"), "done": bool(customers or orders), "url": "#shop-share-link"},
        {"key": "order", "label": _("成交第一单"), "done": bool(orders), "url": reverse("web:shop_orders")},
        {"key": "invite", "label": _("邀请一位分销商"), "done": bool(direct), "url": reverse("web:invitations")},
    ]
    held = starter_coupons_held(user) if user is not None and user.is_authenticated else 0
    return {"steps": steps, "held": held, "show": held > 0 or not all(step["done"] for step in steps)}
