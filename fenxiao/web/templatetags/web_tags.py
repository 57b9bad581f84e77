"""Display helpers for the pages: money in fen, rates in basis points, shop names, placeholders, and
the number of items in the visitor's cart for the tab bar."""

from __future__ import annotations

from django import template
from django.db.models import Sum
from django.utils.translation import gettext as _

from fenxiao.common.money import format_rate, yuan
from fenxiao.orders.selectors import cart_lines

register = template.Library()

SWATCHES = 6


@register.filter
def fen(amount) -> str:
    """15000 → '¥150.00'; money reaches the templates as integer fen and is formatted only here."""
    if amount is None or amount == "":
        return ""
    text = yuan(int(amount))
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"


@register.filter
def fen_short(amount) -> str:
    """9900 → '¥99', 9950 → '¥99.50': round amounts in hints and slogans without the '.00'."""
    text = fen(amount)
    return text[:-3] if text.endswith(".00") else text


@register.filter
def rate(bp) -> str:
    """1550 → '15.5%'."""
    if bp is None or bp == "":
        return ""
    return format_rate(int(bp))


@register.filter
def shop_name(distributor) -> str:
    return _("%(name)s的小店") % {"name": distributor.user.display_name}


@register.filter
def initial(text) -> str:
    """The first visible character, for avatar and picture placeholders."""
    text = str(text or "").strip()
    return text[:1].upper() if text else "·"


@register.filter
def swatch(pk) -> int:
    """A stable colour slot per object, so the same product keeps the same placeholder colour."""
    try:
        return int(pk) % SWATCHES
    except (TypeError, ValueError):
        return 0


@register.filter
def first_image(product):
    """The first image from the prefetched list, without another query."""
    images = list(product.images.all())
    return images[0] if images else None


@register.simple_tag
def cart_count(user) -> int:
    """Units in the signed-in visitor's cart (0 for anonymous visitors), for the cart tab's badge."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return cart_lines(user).aggregate(n=Sum("quantity"))["n"] or 0
