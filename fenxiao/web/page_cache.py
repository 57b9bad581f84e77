"""Rendered fragments of the storefront kept in the shared cache for anonymous visitors: the product
grids of a distributor's shared shop, the page most visitors of a share link open; and figures of a
product that are the same for every visitor but costly to count (units sold), kept a short while.

A fragment is stored under the catalog version, a token in the shared cache that changes after every
change of what a grid shows (a product, a SKU and its price, a picture, a category, a shop and its
featured products). The token changes when the row is written and again once the transaction
commits, so a visitor who reads the last token reads the new rows: a price an operator changes is
never shown stale. What changes
through the orders (units sold) is kept no longer than FRAGMENT_SECONDS.

Only anonymous visitors get cached fragments: a signed-in distributor sees its own 分享赚 amounts.
Catalog reads (`cached_read`: a product with its SKUs and pictures) are the same for everyone and
follow the same version. Cached figures (`cached_figures`) follow none: they change through the
orders, and a page may show one up to FRAGMENT_SECONDS old.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

VERSION_KEY = "web:catalog-version"
#: How long a fragment may show units sold that have changed since it was rendered.
FRAGMENT_SECONDS = 60


def catalog_version() -> str:
    """The current catalog token; a new one when the cache has lost it (every fragment is then stale)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return version


def _new_version() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


def bump_catalog_version() -> None:
    """Makes every cached fragment stale: now, and again once the current transaction commits (a
    page rendered meanwhile from the rows before the commit is stored under the first token only)."""
    _new_version()
    transaction.on_commit(_new_version, robust=True)


def _catalog_key(kind: str, name: str, parts: Iterable[object]) -> str:
    version = catalog_version()
    raw = "\x1f".join([name, version, get_language() or "", *(str(part) for part in parts)])
    return f"web:{kind}:{name}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def cached_fragment(name: str, parts: Iterable[object], render: Callable[[], str]) -> SafeString:
    """The HTML that `render` returns for `parts` (which must name everything it depends on besides
    the catalog), from the shared cache when the catalog has not changed since it was rendered."""
    key = _catalog_key("fragment", name, parts)
    html = cache.get(key)
    if html is None:
        html = str(render())
        cache.set(key, html, FRAGMENT_SECONDS)
    return mark_safe(html)  # rendered by our own templates, escaped there


_MISSING = object()


def cached_read(name: str, parts: Iterable[object], read: Callable[[], object]) -> object:
    """What `read` returns for `parts` (catalog rows only: a product with its SKUs and pictures, or
    None), from the shared cache when the catalog has not changed since it was read. Each call gets
    its own copy, which the caller may annotate."""
    key = _catalog_key("read", name, parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = read()
        cache.set(key, value, FRAGMENT_SECONDS)
    return value


def cached_figures(name: str, keys: Iterable[int], count: Callable[[list[int]], dict[int, int]]) -> dict[int, int]:
    """The figures `count` returns for `keys` (product ids), from the shared cache when the same keys
    were counted in the last FRAGMENT_SECONDS: one entry per set of keys (a product page, a grid), so
    a read is one cache access however many keys it names."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    digest = hashlib.sha256(",".join(map(str, wanted)).encode()).hexdigest()[:32]
    key = f"web:figures:{name}:{digest}"
    figures = cache.get(key)
    if figures is None:
        figures = count(wanted)
        cache.set(key, figures, FRAGMENT_SECONDS)
    return figures


def _changed(sender, **kwargs) -> None:
    bump_catalog_version()


def connect() -> None:
    """Bumps the catalog version on every save and delete of what the cached fragments show."""
    from fenxiao.catalog.models import BundleComponent, Category, Product, ProductImage, Sku
    from fenxiao.distribution.models import DistributorShop, ShopFeature
    from fenxiao.suppliers.models import Supplier

    # BundleComponent: a bundle's parts are read with its product (new parts, made in bulk, show
    # within FRAGMENT_SECONDS; parts replaced or removed at once). Supplier: a suspended supplier's
    # products leave the shop at once.
    for model in (BundleComponent, Category, Product, ProductImage, Sku, DistributorShop, ShopFeature, Supplier):
        post_save.connect(_changed, sender=model, dispatch_uid=f"web-page-cache-save-{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"web-page-cache-delete-{model._meta.label}")
