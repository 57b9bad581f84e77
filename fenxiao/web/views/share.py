"""What a distributor shares from a product page: the product poster (商品海报), a PNG with the
product's picture, name and price, its shop's name and the QR code of its own link to the product
(tagged with the poster channel) — or, when a mini-program is configured, the mini-program code that
opens the product with the distributor's code (`fenxiao.wechat.wxacode`) — drawn on the server and
kept in the shared cache."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from fenxiao.distribution import poster
from fenxiao.shop.selectors import shop_product
from fenxiao.wechat import wxacode

from .helpers import poster_response, viewer_distributor

#: Channel tag of the link in a product poster's QR code (Visit.channel).
CHANNEL_POSTER = "poster"


@login_required
@require_GET
def product_poster(request: HttpRequest, product_id: int) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return HttpResponse(status=404)
    item = shop_product(product_id)
    if item is None:
        return HttpResponse(status=404)
    path = reverse("web:share_product", args=[distributor.code, item.pk])
    share_url = request.build_absolute_uri(f"{path}?{urlencode({'ch': CHANNEL_POSTER})}")
    return poster_response(
        request,
        lambda: poster.product_poster(distributor, item, share_url, wxacode.product_code(distributor.code, item.pk)),
        filename=f"product-{item.pk}-{distributor.code}.png",
    )
