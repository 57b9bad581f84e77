"""The distributor's own shop front (一键开店), mounted at /api/v1/distribution/shop: name, welcome
line, avatar, featured products and the poster. Only approved distributors; writes go through
services_shop, reads through selectors_shop."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from fenxiao.common.api_auth import current_user, member_auth
from fenxiao.common.validation import InputSchema

from . import poster, selectors, selectors_shop, services_shop
from .errors import DistributionError
from .models import Distributor

router = Router(tags=["分销：我的小店 shop"], auth=member_auth)


class FeaturedOut(Schema):
    product_id: int
    name: str
    price_fen: int | None
    position: int


class ShopOut(Schema):
    code: str
    name: str
    welcome: str
    avatar_url: str | None
    is_customized: bool
    updated_at: datetime | None
    share_url: str
    poster_url: str
    featured: list[FeaturedOut]


class ShopIn(InputSchema):
    name: str
    welcome: str = ""


class FeaturedIn(InputSchema):
    product_ids: list[int]


def _approved(request) -> Distributor:
    d = selectors.distributor_for_user(current_user(request))
    if d is None:
        raise DistributionError("not_distributor", _("你还不是分销商"), status=404)
    if not d.is_approved:
        raise DistributionError("not_distributor", _("你的分销商资格尚未生效"), {"status": d.status}, status=403)
    return d


def _share_url(request, d: Distributor) -> str:
    return request.build_absolute_uri(reverse("web:share_shop", args=[d.code]))


def _shop(request, d: Distributor) -> dict:
    profile = selectors_shop.shop_profile(d)
    return {
        "code": d.code,
        "name": profile.name,
        "welcome": profile.welcome,
        "avatar_url": request.build_absolute_uri(profile.avatar_url) if profile.avatar_url else None,
        "is_customized": profile.is_customized,
        "updated_at": profile.updated_at,
        "share_url": _share_url(request, d),
        "poster_url": request.build_absolute_uri(reverse("api:shop_poster")),
        "featured": [
            {"product_id": p.pk, "name": p.name, "price_fen": p.min_retail_fen, "position": i}
            for i, p in enumerate(selectors_shop.featured_products(profile))
        ],
    }


@router.get("", response=ShopOut, summary="我的小店")
def get_shop(request):
    return _shop(request, _approved(request))


@router.put("", response=ShopOut, summary="修改店名与欢迎语")
def put_shop(request, payload: ShopIn):
    d = _approved(request)
    services_shop.update_shop(distributor=d, name=payload.name, welcome=payload.welcome)
    return _shop(request, d)


@router.put("/featured", response=ShopOut, summary="设置推荐商品（按顺序的商品编号，最多 12 个）")
def put_featured(request, payload: FeaturedIn):
    d = _approved(request)
    services_shop.set_features(distributor=d, product_ids=payload.product_ids)
    return _shop(request, d)


@router.post("/avatar", response=ShopOut, summary="上传店铺头像（JPG/PNG/WebP，≤ 2 MB）")
def post_avatar(request, file: File[UploadedFile]):
    d = _approved(request)
    services_shop.set_avatar(distributor=d, upload=file)
    return _shop(request, d)


@router.get("/poster.png", url_name="shop_poster", summary="店铺海报（PNG）")
def get_poster(request):
    d = _approved(request)
    result = poster.shop_poster(d, _share_url(request, d))
    if request.headers.get("If-None-Match") == f'"{result.etag}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(result.png, content_type="image/png")
    response["ETag"] = f'"{result.etag}"'
    response["Cache-Control"] = "private, no-cache"
    return response
