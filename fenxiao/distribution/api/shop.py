"""The distributor's own shop front (一键开店), mounted at /api/v1/distribution/shop: name, welcome
line, avatar, featured products and the poster. Only approved distributors; writes go through
the shop services, reads through the shop selectors."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from fenxiao.accounts.auth import member_auth
from fenxiao.common.validation import InputSchema

from .. import poster, selectors, services
from ..models import Distributor
from .distributors import approved_distributor, share_url

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


def _shop(request, d: Distributor) -> dict:
    profile = selectors.shop_profile(d)
    return {
        "code": d.code,
        "name": profile.name,
        "welcome": profile.welcome,
        "avatar_url": request.build_absolute_uri(profile.avatar_url) if profile.avatar_url else None,
        "is_customized": profile.is_customized,
        "updated_at": profile.updated_at,
        "share_url": share_url(request, d),
        "poster_url": request.build_absolute_uri(reverse("api:shop_poster")),
        "featured": [
            {"product_id": p.pk, "name": p.name, "price_fen": p.min_retail_fen, "position": i}
            for i, p in enumerate(selectors.featured_products(profile))
        ],
    }


@router.get("", response=ShopOut, summary="我的小店")
def get_shop(request):
    return _shop(request, approved_distributor(request))


@router.put("", response=ShopOut, summary="修改店名与欢迎语")
def put_shop(request, payload: ShopIn):
    d = approved_distributor(request)
    services.update_shop(distributor=d, name=payload.name, welcome=payload.welcome)
    return _shop(request, d)


@router.put("/featured", response=ShopOut, summary="设置推荐商品（按顺序的商品编号，最多 12 个）")
def put_featured(request, payload: FeaturedIn):
    d = approved_distributor(request)
    services.set_features(distributor=d, product_ids=payload.product_ids)
    return _shop(request, d)


@router.post("/avatar", response=ShopOut, summary="上传店铺头像（JPG/PNG/WebP，≤ 2 MB）")
def post_avatar(request, file: File[UploadedFile]):
    d = approved_distributor(request)
    services.set_avatar(distributor=d, upload=file)
    return _shop(request, d)


@router.get("/poster.png", url_name="shop_poster", summary="店铺海报（PNG）")
def get_poster(request):
    d = approved_distributor(request)
    result = poster.shop_poster(d, share_url(request, d))
    if request.headers.get("If-None-Match") == f'"{result.etag}"':
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(result.png, content_type="image/png")
    response["ETag"] = f'"{result.etag}"'
    response["Cache-Control"] = "private, no-cache"
    return response
