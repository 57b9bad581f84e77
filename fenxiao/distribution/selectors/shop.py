"""Reads of a distributor's shop front: what the share page, the editor, the API and the poster show.

A distributor that never saved its shop still has one to show: the default name, no avatar, no
welcome line and no featured products. Featured products are shown only while they are on shelf.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext

from fenxiao.catalog.models import Product
from fenxiao.catalog.selectors import shelf_products

from ..models import Distributor, DistributorShop, ShopFeature

PICKER_LIMIT = 20


@dataclass(frozen=True)
class ShopProfile:
    name: str
    welcome: str
    avatar_url: str
    avatar_name: str
    updated_at: datetime | None
    is_customized: bool
    feature_ids: list[int] = field(default_factory=list)


def default_shop_name(distributor: Distributor) -> str:
    """What a shop is called until its distributor names it: "<nickname>的小店", cut to the name's limit."""
    limit = DistributorShop._meta.get_field("name").max_length
    return (gettext("%(name)s的小店") % {"name": distributor.user.display_name})[:limit]


def shop_for(distributor: Distributor) -> DistributorShop | None:
    return DistributorShop.objects.filter(distributor=distributor).first()


def feature_ids(shop: DistributorShop | None) -> list[int]:
    """Featured product ids still on shelf, in the shop's order."""
    if shop is None:
        return []
    ids = list(ShopFeature.objects.filter(shop=shop).order_by("position", "id").values_list("product_id", flat=True))
    on_shelf = set(shelf_products().filter(pk__in=ids).values_list("pk", flat=True))
    return [pid for pid in ids if pid in on_shelf]


def shop_profile(distributor: Distributor) -> ShopProfile:
    shop = shop_for(distributor)
    if shop is None:
        return ShopProfile(default_shop_name(distributor), "", "", "", None, False, [])
    return ShopProfile(
        name=shop.name,
        welcome=shop.welcome,
        avatar_url=shop.avatar.url if shop.avatar else "",
        avatar_name=shop.avatar.name if shop.avatar else "",
        updated_at=shop.updated_at,
        is_customized=True,
        feature_ids=feature_ids(shop),
    )


def featured_products(profile: ShopProfile) -> list[Product]:
    """The featured products (with prices and first image, as on the shelf pages), in the shop's order."""
    if not profile.feature_ids:
        return []
    by_id = {p.pk: p for p in shelf_products().filter(pk__in=profile.feature_ids)}
    return [by_id[pid] for pid in profile.feature_ids if pid in by_id]


def pickable_products(query: str = "", *, limit: int = PICKER_LIMIT) -> QuerySet[Product]:
    """On-shelf products whose name contains `query`, for the featured-products picker."""
    qs = shelf_products()
    query = (query or "").strip()
    if query:
        qs = qs.filter(name__icontains=query)
    return qs[:limit]
