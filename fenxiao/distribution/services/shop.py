"""The only code that writes a distributor's shop front (DistributorShop, ShopFeature).

Error codes (DistributionError): not_distributor, invalid_shop_text (length or control characters),
shop_text_forbidden (a link, phone number or WeChat id), invalid_features (not a list of ids, more
than SHOP_MAX_FEATURES, duplicates), product_not_on_shelf, invalid_avatar, avatar_too_large,
invalid_moderation (no or unknown fields to reset), reason_required.

Operators correct a shop through the same screening (`operator_update_shop`) or reset what breaks
the rules to the defaults (`moderate_shop`); a reset is recorded as an admin LogEntry with the reason.

Every write locks the shop row, so two tabs saving the featured list at once end in one order or
the other, never a mix. Saving the shop touches `updated_at`, which is what the poster cache keys on.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, pgettext
from PIL import Image, ImageOps, UnidentifiedImageError

from fenxiao.catalog.selectors import shelf_products

from .. import hooks
from ..errors import DistributionCode, DistributionError
from ..models import SHOP_MAX_FEATURES, Distributor, DistributorShop, ShopFeature
from ..selectors.shop import default_shop_name

NAME_MIN, NAME_MAX = 2, 20
WELCOME_MAX = 60
AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = 256
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}
AVATAR_MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding the pixels

# --- text screening ---------------------------------------------------------------------------
#
# The rule, until a sensitive-word service exists (it will be called from `screen_text`):
# 1. Surrounding whitespace is trimmed; the length is counted in characters.
# 2. No control or invisible formatting characters (Unicode categories Cc, Cf, Cs, Co, Cn): no line
#    breaks, no zero-width or direction-override characters that hide text.
# 3. No contact details that take buyers off the platform: a link (http://, www., or a word ending
#    in a common domain suffix such as .com / .cn), a phone number (7 or more digits in a row, spaces
#    and dashes between them ignored, full-width digits included), or a WeChat id prompt (微信, 薇信,
#    威信, V信, VX, WX, weixin, wechat, 加V / +V).
# Rule 3 applies to the shop name and the welcome line alike.

_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}
_URL = re.compile(
    r"(https?://|www\.|[a-z0-9-]+\.(com|cn|net|org|top|xyz|cc|me|io|vip|shop|link|info|site|club)(?![a-z]))",
    re.IGNORECASE,
)
_PHONE = re.compile(r"\d(?:[\s\-]*\d){6,}")
_WECHAT = re.compile(r"(微信|薇信|威信|v信|(?<![a-z])(vx|wx|weixin|wechat)(?![a-z])|(加|\+)\s*v(?![a-z]))", re.IGNORECASE)


def screen_text(value: Any, *, field: str, min_length: int, max_length: int) -> str:
    """The cleaned text, or DistributionError naming the field and the rule it broke."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DistributionError(DistributionCode.INVALID_SHOP_TEXT, gettext("内容必须是文字"), {"field": field, "rule": "type"})
    text = value.strip()
    if not min_length <= len(text) <= max_length:
        raise DistributionError(
            DistributionCode.INVALID_SHOP_TEXT,
            gettext("长度须为 %(min)s–%(max)s 个字") % {"min": min_length, "max": max_length},
            {"field": field, "rule": "length", "min": min_length, "max": max_length, "length": len(text)},
        )
    if any(unicodedata.category(ch) in _INVISIBLE for ch in text):
        raise DistributionError(
            DistributionCode.INVALID_SHOP_TEXT, gettext("不能包含换行或不可见字符"), {"field": field, "rule": "control"}
        )
    folded = unicodedata.normalize("NFKC", text)  # full-width digits and letters count as their ASCII twins
    for rule, pattern, message in (
        ("url", _URL, gettext("不能包含网址链接")),
        ("phone", _PHONE, gettext("不能包含电话号码")),
        ("wechat", _WECHAT, gettext("不能包含微信号等联系方式")),
    ):
        if pattern.search(folded):
            raise DistributionError(DistributionCode.SHOP_TEXT_FORBIDDEN, message, {"field": field, "rule": rule})
    return text


# --- writes ------------------------------------------------------------------------------------


def _require_approved(distributor: Distributor | None) -> Distributor:
    if distributor is None or not distributor.is_approved:
        raise DistributionError(DistributionCode.NOT_DISTRIBUTOR, gettext("你的分销商资格尚未生效"), status=403)
    return distributor


def _locked_shop(distributor: Distributor) -> DistributorShop:
    """The distributor's shop row, created on first use, locked for the current transaction."""
    shop = DistributorShop.objects.select_for_update().filter(distributor=distributor).first()
    if shop is not None:
        return shop
    try:
        with transaction.atomic():
            DistributorShop.objects.create(distributor=distributor, name=default_shop_name(distributor))
    except IntegrityError:
        pass  # created by a concurrent request a moment ago
    return DistributorShop.objects.select_for_update().get(distributor=distributor)


def clean_shop_text(name: Any, welcome: Any) -> tuple[str, str]:
    """The screened name (2–20 characters) and welcome line (up to 60, may be empty): one rule for the
    distributor's editor, the API and the operator's admin form."""
    clean_name = screen_text(name, field="name", min_length=NAME_MIN, max_length=NAME_MAX)
    clean_welcome = screen_text(welcome, field="welcome", min_length=0, max_length=WELCOME_MAX)
    return clean_name, clean_welcome


@transaction.atomic
def update_shop(*, distributor: Distributor, name: Any, welcome: Any = "") -> DistributorShop:
    """Save the shop's name (2–20 characters) and welcome line (up to 60, may be empty)."""
    _require_approved(distributor)
    clean_name, clean_welcome = clean_shop_text(name, welcome)
    shop = _locked_shop(distributor)
    shop.name = clean_name
    shop.welcome = clean_welcome
    shop.save(update_fields=["name", "welcome", "updated_at"])
    return shop


def _clean_product_ids(product_ids: Any) -> list[int]:
    if not isinstance(product_ids, (list, tuple)) or any(
        isinstance(pid, bool) or not isinstance(pid, int) or pid < 1 for pid in product_ids
    ):
        raise DistributionError(
            DistributionCode.INVALID_FEATURES, gettext("推荐商品须是商品编号的列表"), {"product_ids": product_ids}
        )
    ids = list(product_ids)
    if len(ids) > SHOP_MAX_FEATURES:
        raise DistributionError(
            DistributionCode.INVALID_FEATURES,
            gettext("最多推荐 %(max)s 件商品") % {"max": SHOP_MAX_FEATURES},
            {"max": SHOP_MAX_FEATURES, "count": len(ids)},
        )
    duplicates = sorted({pid for pid in ids if ids.count(pid) > 1})
    if duplicates:
        raise DistributionError(DistributionCode.INVALID_FEATURES, gettext("推荐商品不能重复"), {"duplicates": duplicates})
    on_shelf = set(shelf_products().filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pid for pid in ids if pid not in on_shelf]
    if missing:
        raise DistributionError(
            DistributionCode.PRODUCT_NOT_ON_SHELF, gettext("只能推荐在售商品，以下商品不存在或已下架"), {"product_ids": missing}
        )
    return ids


@transaction.atomic
def set_features(*, distributor: Distributor, product_ids: Any) -> DistributorShop:
    """Replace the featured products with `product_ids`, in that order (up to 12, on shelf, no repeats)."""
    _require_approved(distributor)
    ids = _clean_product_ids(product_ids)
    shop = _locked_shop(distributor)
    ShopFeature.objects.filter(shop=shop).delete()
    ShopFeature.objects.bulk_create(ShopFeature(shop=shop, product_id=pid, position=i) for i, pid in enumerate(ids))
    shop.save(update_fields=["updated_at"])
    return shop


def _shown_feature_ids(shop: DistributorShop) -> list[int]:
    """The shop's featured ids still on shelf, in order: the list the distributor sees and edits."""
    ids = list(ShopFeature.objects.filter(shop=shop).order_by("position", "id").values_list("product_id", flat=True))
    on_shelf = set(shelf_products().filter(pk__in=ids).values_list("pk", flat=True))
    return [pid for pid in ids if pid in on_shelf]


@transaction.atomic
def change_feature(*, distributor: Distributor, product_id: int, action: str) -> DistributorShop:
    """One step of the page's picker: action "add" (to the end), "remove", "up" or "down". Products
    that went off the shelf drop out of the list on the next change."""
    _require_approved(distributor)
    if action not in ("add", "remove", "up", "down"):
        raise DistributionError(DistributionCode.INVALID_FEATURES, gettext("未知的操作"), {"action": action})
    shop = _locked_shop(distributor)
    ids = _shown_feature_ids(shop)
    if action == "add":
        if product_id not in ids:
            ids.append(product_id)
    elif product_id in ids:
        i = ids.index(product_id)
        if action == "remove":
            ids.pop(i)
        elif action == "up" and i > 0:
            ids[i - 1], ids[i] = ids[i], ids[i - 1]
        elif action == "down" and i < len(ids) - 1:
            ids[i + 1], ids[i] = ids[i], ids[i + 1]
    return set_features(distributor=distributor, product_ids=ids)


def _avatar_bytes(upload) -> bytes:
    """A 256×256 JPEG made from an uploaded JPEG, PNG or WebP of at most 2 MB, cropped to the centre."""
    size = getattr(upload, "size", None)
    if size is not None and size > AVATAR_MAX_BYTES:
        raise DistributionError(
            DistributionCode.AVATAR_TOO_LARGE, gettext("头像图片不能超过 2 MB"), {"max_bytes": AVATAR_MAX_BYTES, "size": size}
        )
    raw = upload.read(AVATAR_MAX_BYTES + 1)
    if len(raw) > AVATAR_MAX_BYTES:
        raise DistributionError(
            DistributionCode.AVATAR_TOO_LARGE, gettext("头像图片不能超过 2 MB"), {"max_bytes": AVATAR_MAX_BYTES}
        )
    invalid = DistributionError(
        DistributionCode.INVALID_AVATAR, gettext("头像须是 JPG、PNG 或 WebP 图片"), {"formats": sorted(AVATAR_FORMATS)}
    )
    try:
        image = Image.open(io.BytesIO(raw))
        if image.format not in AVATAR_FORMATS:
            raise invalid
        if image.width * image.height > AVATAR_MAX_PIXELS:
            raise DistributionError(
                DistributionCode.INVALID_AVATAR, gettext("头像图片尺寸过大"), {"max_pixels": AVATAR_MAX_PIXELS}
            )
        image = ImageOps.exif_transpose(image)
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise invalid from exc
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    image = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue()


@transaction.atomic
def set_avatar(*, distributor: Distributor, upload) -> DistributorShop:
    """Store a new avatar (validated and resized); the old file is removed once the change is committed."""
    _require_approved(distributor)
    data = _avatar_bytes(upload)
    shop = _locked_shop(distributor)
    old = shop.avatar.name if shop.avatar else ""
    shop.avatar.save(f"shop{shop.pk}.jpg", ContentFile(data), save=False)
    shop.save(update_fields=["avatar", "updated_at"])
    if old and old != shop.avatar.name:
        storage = shop.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return shop


# --- operator corrections -----------------------------------------------------------------------

MODERATED_FIELDS = ("name", "welcome", "avatar")
MODERATION_REASON_MAX = 200


@transaction.atomic
def operator_update_shop(*, shop: DistributorShop, name: Any, welcome: Any) -> DistributorShop:
    """An operator's correction of a shop's text, screened exactly like the distributor's own edit so
    the console cannot publish what the editor would refuse. Works whatever the distributor's status:
    a suspended distributor's shop can still be cleaned up."""
    clean_name, clean_welcome = clean_shop_text(name, welcome)
    locked = DistributorShop.objects.select_for_update().get(pk=shop.pk)
    locked.name = clean_name
    locked.welcome = clean_welcome
    locked.save(update_fields=["name", "welcome", "updated_at"])
    return locked


def _clean_moderation(fields_to_reset: Any, reason: Any) -> tuple[list[str], str]:
    if isinstance(fields_to_reset, str) or not isinstance(fields_to_reset, (list, tuple, set, frozenset)):
        raise DistributionError(
            DistributionCode.INVALID_MODERATION, gettext("请选择要重置的内容"), {"allowed": list(MODERATED_FIELDS)}
        )
    unknown = sorted(str(f) for f in fields_to_reset if f not in MODERATED_FIELDS)
    if unknown or not fields_to_reset:
        raise DistributionError(
            DistributionCode.INVALID_MODERATION,
            gettext("请选择要重置的内容"),
            {"allowed": list(MODERATED_FIELDS), "unknown": unknown},
        )
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise DistributionError(DistributionCode.REASON_REQUIRED, gettext("重置时必须填写原因"))
    if len(text) > MODERATION_REASON_MAX:
        raise DistributionError(
            DistributionCode.REASON_REQUIRED,
            gettext("原因最多 %(max)s 个字") % {"max": MODERATION_REASON_MAX},
            {"max": MODERATION_REASON_MAX, "length": len(text)},
        )
    return [f for f in MODERATED_FIELDS if f in fields_to_reset], text


@transaction.atomic
def moderate_shop(*, shop: DistributorShop, fields_to_reset: Any, actor, reason: Any) -> LogEntry:
    """Reset the named fields ("name", "welcome", "avatar") of a shop that breaks the rules to what a
    new shop shows: the default name, no welcome line, no avatar. Who, when and why is kept as an
    admin LogEntry on the shop (its history page), which is returned; `shop_moderated` tells whoever
    notifies the distributor."""
    fields, text = _clean_moderation(fields_to_reset, reason)
    locked = DistributorShop.objects.select_for_update().select_related("distributor__user").get(pk=shop.pk)
    old_avatar = locked.avatar.name if locked.avatar else ""
    if "name" in fields:
        locked.name = default_shop_name(locked.distributor)
    if "welcome" in fields:
        locked.welcome = ""
    if "avatar" in fields:
        locked.avatar = ""
    locked.save(update_fields=[*fields, "updated_at"])
    if "avatar" in fields and old_avatar:
        storage = locked.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    labels = pgettext("list separator", "、").join(str(DistributorShop._meta.get_field(f).verbose_name) for f in fields)
    message = gettext("违规重置：%(fields)s。原因：%(reason)s") % {"fields": labels, "reason": text}
    hooks.shop_moderated(locked, fields=fields, reason=text)
    return LogEntry.objects.log_actions(actor.pk, [locked], CHANGE, change_message=message, single_object=True)
