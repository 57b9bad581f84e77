"""Sharing on the pages: the WeChat share card of a page and what a distributor earns by sharing a
product ("分享赚").

`{% wechat_share title desc image product=… %}` renders, only inside WeChat's browser and only when
the Official Account is configured, the signed `wx.config` and the card (title, description, absolute
picture URL, link) as JSON for the static script `web/wechat-share.js`: the page's CSP allows no
inline script. A signed-in distributor's card links to its own share link (its code, and a channel
tag telling a chat from Moments); anyone else's card links to the page itself.

`{% share_earnings products as earn %}` works out, for the signed-in distributor, the commission of
one unit of each product sold through its link, in one pass over the whole grid: the products go
through `commissions.calculator.compute_order` as the lines of one hypothetical order credited to the
distributor, so the figure follows exactly the rules the accrual applies (level rates, category and
product overrides, fixed amounts, the margin ceiling shared with the inviter's commission). The
number of queries does not depend on the number of products.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from fenxiao.commissions.calculator import compute_order
from fenxiao.distribution.models import Distributor
from fenxiao.web.views.helpers import viewer_distributor
from fenxiao.wechat import jssdk

register = template.Library()

#: Channel tags of the links a share card carries (Visit.channel), one per place it is shared to.
CHANNEL_CHAT = "wx_chat"
CHANNEL_MOMENTS = "wx_moments"

WECHAT_AGENT = "micromessenger"
WECOM_AGENT = "wxwork"  # WeCom's browser says MicroMessenger too, but signs with a corp id instead

DEFAULT_PICTURE = "web/share-card.png"


def in_wechat(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "").lower()
    return WECHAT_AGENT in agent and WECOM_AGENT not in agent


def share_viewer(request: HttpRequest | None) -> Distributor | None:
    """The signed-in, approved distributor looking at the page (read once per request)."""
    if request is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return None
    return viewer_distributor(request)


def own_share_link(request: HttpRequest, distributor: Distributor, product=None, *, channel: str = "") -> str:
    """The distributor's share link to a product, or to its shop, with a channel tag."""
    if product is not None:
        path = reverse("web:share_product", args=[distributor.code, product.pk])
    else:
        path = reverse("web:share_shop", args=[distributor.code])
    if channel:
        path = f"{path}?{urlencode({'ch': channel})}"
    return request.build_absolute_uri(path)


def _picture(request: HttpRequest, image) -> str:
    """An absolute picture URL from an ImageField file, a URL or a path, else the site's card picture."""
    from django.templatetags.static import static

    url = ""
    if image:
        url = getattr(image, "url", None) or str(image)
    return request.build_absolute_uri(url or static(DEFAULT_PICTURE))


@register.inclusion_tag("web/_wechat_share.html", takes_context=True)
def wechat_share(context, title, desc="", image=None, product=None) -> dict:
    """The share card of this page inside WeChat; nothing elsewhere or without WeChat configured."""
    request = context.get("request")
    if request is None or not in_wechat(request) or request.headers.get("HX-Request") == "true":
        return {"share": None}  # an htmx fragment swaps part of a page that has its card already
    config = jssdk.page_config(request.build_absolute_uri())
    if config is None:
        return {"share": None}
    viewer = share_viewer(request)
    if viewer is not None:
        chat_link = own_share_link(request, viewer, product, channel=CHANNEL_CHAT)
        moments_link = own_share_link(request, viewer, product, channel=CHANNEL_MOMENTS)
    else:
        chat_link = moments_link = request.build_absolute_uri(request.path)
    picture = _picture(request, image)
    title = str(title or "")[:64]
    desc = str(desc or "")[:120]
    return {
        "share": {
            "config": config,
            "chat": {"title": title, "desc": desc, "link": chat_link, "imgUrl": picture},
            "moments": {"title": title, "link": moments_link, "imgUrl": picture},
        }
    }


@dataclass(frozen=True)
class ShareEarning:
    """The commission of one unit across the product's sellable SKUs (lowest and highest)."""

    low_fen: int
    high_fen: int

    @property
    def varies(self) -> bool:
        return self.high_fen != self.low_fen


class _Lines(list):
    """The `order.lines` of a hypothetical order: `.all()` as on a related manager."""

    def all(self):
        return self


def _sellable(product) -> list:
    skus = list(product.skus.all())
    sellable = [sku for sku in skus if getattr(getattr(sku, "purchase", None), "is_purchasable", True)]
    return [sku for sku in sellable if sku.retail_fen > 0]


def share_earnings_for(distributor: Distributor, products: Iterable) -> dict[int, ShareEarning]:
    """Per product id, what `distributor` earns on one unit of it sold through its own link: the
    direct commission of `compute_order` on one order whose lines are one unit of each sellable SKU,
    bought by someone else (never a self-purchase)."""
    lines = _Lines()
    for product in products:
        for sku in _sellable(product):
            lines.append(
                SimpleNamespace(
                    pk=None,
                    product_id=product.pk,
                    category_id=product.category_id,
                    paid_fen=sku.retail_fen,
                    unit_cost_fen=sku.cost_fen,
                    quantity=1,
                )
            )
    if not lines:
        return {}
    sale = SimpleNamespace(distributor_id=distributor.pk, is_self_purchase=False, lines=lines)
    amounts: dict[int, list[int]] = {}
    for line, result in zip(lines, compute_order(sale), strict=True):
        amounts.setdefault(line.product_id, []).append(result.amount_for_depth(1))
    return {pk: ShareEarning(min(values), max(values)) for pk, values in amounts.items()}


@register.simple_tag(takes_context=True)
def share_earnings(context, products) -> dict[int, ShareEarning]:
    """`{% share_earnings products as earn %}`: for a signed-in distributor, {product id:
    ShareEarning} of a product or a list of products; {} for anyone else."""
    viewer = share_viewer(context.get("request"))
    if viewer is None or products is None:
        return {}
    items = [products] if hasattr(products, "skus") else list(products)
    return share_earnings_for(viewer, items)


@register.filter
def earning_for(earnings, product) -> ShareEarning | None:
    """`earn|earning_for:product`: the product's ShareEarning, None when there is nothing to earn."""
    if not earnings or product is None:
        return None
    found = earnings.get(product.pk)
    return found if found is not None and found.high_fen > 0 else None


@register.simple_tag(takes_context=True)
def product_poster_url(context, product) -> str:
    """Where the signed-in distributor's poster of `product` is drawn, or '' for anyone else."""
    if product is None or share_viewer(context.get("request")) is None:
        return ""
    return reverse("web:product_poster", args=[product.pk])
