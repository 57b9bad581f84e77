"""The operator's promotions: create and change coupons, 满减送 (with their tiers), timed discounts
(with their SKUs) and quantity tier prices, each checked before it is written; pause, resume and end
the first three. Every write leaves a `PromotionAudit` row (who, when, and for a change each field's
old and new value).

Two 满减送 whose time windows overlap may not both be active when their scopes share a product (the
whole shop shares every product; a category shares the products in it); two timed discounts may not
both be active in overlapping windows when they touch the same product through its SKUs. A window
that ends when the other starts does not overlap. Paused and ended ones do not count. This is
checked on create, on change (of an active one) and on resume.

Ending a coupon stops claiming it; the coupons people already hold stay usable until their own
validity runs out. Ending is final.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fenxiao.catalog.models import Category, Product, Sku
from fenxiao.common.money import BASIS_POINTS
from fenxiao.common.transitions import StateMachine

from ..errors import PromotionCode, PromotionError
from ..models import (
    Coupon,
    DiscountMode,
    FullReduction,
    FullReductionTier,
    PromotionAudit,
    PromotionSettings,
    QuantityTier,
    RunStatus,
    Scope,
    TimedDiscount,
    TimedDiscountItem,
)
from . import campaigns

R = RunStatus
Kind = PromotionAudit.Kind
Action = PromotionAudit.Action

RUN_TRANSITIONS: dict[str, set[str]] = {
    R.ACTIVE: {R.PAUSED, R.ENDED},
    R.PAUSED: {R.ACTIVE, R.ENDED},
    R.ENDED: set(),
}

RUN_MACHINE = StateMachine(
    table=RUN_TRANSITIONS,
    labels=RunStatus,
    error=PromotionError,
    code=PromotionCode.INVALID_TRANSITION,
    what=gettext_lazy("活动"),
)

MODELS: dict[str, type[Model]] = {
    Kind.COUPON: Coupon,
    Kind.FULL_REDUCTION: FullReduction,
    Kind.TIMED_DISCOUNT: TimedDiscount,
    Kind.QUANTITY_TIER: QuantityTier,
}
RUNNING_KINDS = (Kind.COUPON, Kind.FULL_REDUCTION, Kind.TIMED_DISCOUNT)
NAME_MAX = 40

COUPON_FIELDS = (
    "name",
    "scope",
    "kind",
    "amount_fen",
    "percent_off_bp",
    "cap_fen",
    "threshold_fen",
    "validity",
    "valid_from",
    "valid_until",
    "valid_days",
    "claim_starts_at",
    "claim_ends_at",
    "total_quantity",
    "per_person_limit",
    "claimable",
    "for_newcomers",
    "description",
)
# What a held coupon is worth and how long it lasts: fixed once any has been issued.
COUPON_VALUE_FIELDS = ("kind", "amount_fen", "percent_off_bp", "cap_fen", "threshold_fen", "validity", "valid_days")
FULL_REDUCTION_FIELDS = ("name", "scope", "basis", "starts_at", "ends_at")
TIMED_DISCOUNT_FIELDS = ("name", "starts_at", "ends_at")
QUANTITY_TIER_FIELDS = ("sku_id", "min_quantity", "percent_off_bp")
TIER_FIELDS = ("threshold", "amount_off_fen", "free_shipping", "gift_coupon_id", "gift_sku_id", "gift_quantity", "points")
ITEM_FIELDS = ("sku_id", "mode", "amount_off_fen", "percent_off_bp")


def invalid(message: str, field: str = "", **detail: Any) -> PromotionError:
    return PromotionError(PromotionCode.INVALID_PROMOTION, message, {"field": field, **detail} if field else detail)


def not_found(kind: str, object_id: Any) -> PromotionError:
    return PromotionError(
        PromotionCode.PROMOTION_NOT_FOUND, gettext("活动不存在"), {"kind": str(kind), "id": object_id}, status=404
    )


# --- checks -----------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name:
        raise invalid(gettext("请填写名称"), "name")
    if len(name) > NAME_MAX:
        raise invalid(gettext("名称最多 %(max)d 个字") % {"max": NAME_MAX}, "name")
    return name


def _money(value: Any, field: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(gettext("金额须为整数（分）"), field)
    if value < 0 or (positive and value == 0):
        raise invalid(gettext("金额须大于 0") if positive else gettext("金额不能为负数"), field)
    return value


def _rate(value: Any, field: str) -> int:
    """A percentage off: more than 0 and less than 100 %."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < BASIS_POINTS:
        raise invalid(gettext("折扣比例须大于 0% 且小于 100%"), field)
    return value


def _count(value: Any, field: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise invalid(gettext("须为不小于 %(low)d 的整数") % {"low": low}, field)
    return value


def validate_window(starts_at: Any, ends_at: Any) -> None:
    if not isinstance(starts_at, datetime):
        raise invalid(gettext("请填写开始时间"), "starts_at")
    if not isinstance(ends_at, datetime):
        raise invalid(gettext("请填写结束时间"), "ends_at")
    if ends_at <= starts_at:
        raise invalid(gettext("结束时间须晚于开始时间"), "ends_at")


def validate_scope(scope: Any, categories: Iterable[Any] = (), products: Iterable[Any] = ()) -> tuple[list[int], list[int]]:
    """The category and product ids (given as ids or objects) that go with the scope (the others are
    cleared)."""
    categories, products = _ids(categories), _ids(products)
    if scope not in Scope.values:
        raise invalid(gettext("适用范围不正确"), "scope")
    if scope == Scope.CATEGORIES:
        ids = sorted(set(categories))
        if not ids:
            raise invalid(gettext("请选择至少一个类目"), "categories")
        if Category.objects.filter(pk__in=ids).count() != len(ids):
            raise invalid(gettext("所选类目不存在"), "categories")
        return ids, []
    if scope == Scope.PRODUCTS:
        ids = sorted(set(products))
        if not ids:
            raise invalid(gettext("请选择至少一个商品"), "products")
        if Product.objects.filter(pk__in=ids).count() != len(ids):
            raise invalid(gettext("所选商品不存在"), "products")
        return [], ids
    return [], []


def validate_coupon(values: Mapping[str, Any], *, coupon: Coupon | None = None) -> dict[str, Any]:
    """The coupon's fields checked and made consistent (the fields of the other kind or validity
    cleared); raises PromotionError `invalid_promotion` naming the field."""
    data: dict[str, Any] = {name: values.get(name) for name in COUPON_FIELDS}
    data["name"] = _name(data["name"])
    data["description"] = str(data["description"] or "").strip()
    if len(data["description"]) > 200:
        raise invalid(gettext("使用说明最多 200 个字"), "description")
    data["claimable"] = bool(data["claimable"]) if data["claimable"] is not None else True
    data["for_newcomers"] = bool(data["for_newcomers"])
    if data["kind"] == DiscountMode.AMOUNT:
        data["amount_fen"] = _money(data["amount_fen"], "amount_fen", positive=True)
        data["percent_off_bp"], data["cap_fen"] = 0, None
    elif data["kind"] == DiscountMode.PERCENT:
        data["percent_off_bp"] = _rate(data["percent_off_bp"], "percent_off_bp")
        data["amount_fen"] = 0
        if data["cap_fen"] is not None:
            data["cap_fen"] = _money(data["cap_fen"], "cap_fen")
    else:
        raise invalid(gettext("优惠券类型不正确"), "kind")
    data["threshold_fen"] = _money(data["threshold_fen"] or 0, "threshold_fen")
    if data["validity"] == Coupon.Validity.DATES:
        if not isinstance(data["valid_until"], datetime):
            raise invalid(gettext("请填写有效期结束时间"), "valid_until")
        if data["valid_from"] is not None and data["valid_until"] <= data["valid_from"]:
            raise invalid(gettext("有效期结束须晚于开始"), "valid_until")
        data["valid_days"] = None
    elif data["validity"] == Coupon.Validity.DAYS:
        data["valid_days"] = _count(data["valid_days"], "valid_days", low=1)
        data["valid_from"] = data["valid_until"] = None
    else:
        raise invalid(gettext("有效期方式不正确"), "validity")
    claim_start, claim_end = data["claim_starts_at"], data["claim_ends_at"]
    if claim_start is not None and claim_end is not None and claim_end <= claim_start:
        raise invalid(gettext("停止领取须晚于开始领取"), "claim_ends_at")
    if data["validity"] == Coupon.Validity.DATES and claim_end is not None and claim_end > data["valid_until"]:
        raise invalid(gettext("停止领取不能晚于有效期结束"), "claim_ends_at")
    data["total_quantity"] = _count(data["total_quantity"], "total_quantity", low=1)
    data["per_person_limit"] = _count(data["per_person_limit"] or 1, "per_person_limit", low=1)
    if coupon is not None and coupon.pk:
        if data["total_quantity"] < coupon.issued_count:
            raise invalid(
                gettext("发行总量不能少于已发放的 %(n)d 张") % {"n": coupon.issued_count},
                "total_quantity",
                issued=coupon.issued_count,
            )
        if coupon.issued_count:
            changed = [f for f in COUPON_VALUE_FIELDS if getattr(coupon, f) != data[f]]
            if changed:
                raise invalid(gettext("已发放的优惠券不能修改面额、门槛和有效期方式"), changed[0], fields=changed)
    return data


def validate_tiers(basis: Any, tiers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """满减送 tiers, sorted by threshold: thresholds strictly increasing, amounts off not decreasing,
    each tier giving something."""
    if basis not in FullReduction.Basis.values:
        raise invalid(gettext("门槛方式不正确"), "basis")
    if not tiers:
        raise invalid(gettext("请至少设置一个档位"), "tiers")
    rows: list[dict[str, Any]] = []
    for tier in tiers:
        row: dict[str, Any] = {name: tier.get(name) for name in TIER_FIELDS}
        row["threshold"] = _count(row["threshold"], "tiers", low=1)
        row["amount_off_fen"] = _money(row["amount_off_fen"] or 0, "tiers")
        row["free_shipping"] = bool(row["free_shipping"])
        row["gift_quantity"] = _count(1 if row["gift_quantity"] is None else row["gift_quantity"], "tiers", low=1)
        row["points"] = _count(row["points"] or 0, "tiers", low=0)
        if basis == FullReduction.Basis.AMOUNT and row["amount_off_fen"] > row["threshold"]:
            raise invalid(gettext("减的金额不能超过门槛金额"), "tiers", threshold=row["threshold"])
        if not (row["amount_off_fen"] or row["free_shipping"] or row["gift_coupon_id"] or row["gift_sku_id"] or row["points"]):
            raise invalid(gettext("每个档位须至少减金额、包邮、送券、赠品或送积分中的一项"), "tiers", threshold=row["threshold"])
        rows.append(row)
    rows.sort(key=lambda r: r["threshold"])
    for lower, higher in zip(rows, rows[1:], strict=False):
        if higher["threshold"] == lower["threshold"]:
            raise invalid(gettext("档位门槛须逐档递增，不能重复"), "tiers", threshold=higher["threshold"])
        if higher["amount_off_fen"] < lower["amount_off_fen"]:
            raise invalid(gettext("门槛更高的档位减的金额不能更少"), "tiers", threshold=higher["threshold"])
    gifts = {r["gift_coupon_id"] for r in rows if r["gift_coupon_id"]}
    if gifts:
        found = set(Coupon.objects.filter(pk__in=gifts).exclude(status=R.ENDED).values_list("pk", flat=True))
        if found != gifts:
            raise invalid(gettext("赠送的优惠券不存在或已结束"), "tiers", coupons=sorted(gifts - found))
    skus = {r["gift_sku_id"] for r in rows if r["gift_sku_id"]}
    if skus and Sku.objects.filter(pk__in=skus).count() != len(skus):
        raise invalid(gettext("赠品 SKU 不存在"), "tiers")
    return rows


def validate_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Timed discount SKUs: at least one, each once, an amount off below the SKU's price or a
    percentage off between 0 and 100 %."""
    if not items:
        raise invalid(gettext("请至少添加一个 SKU"), "items")
    rows: list[dict[str, Any]] = [{name: item.get(name) for name in ITEM_FIELDS} for item in items]
    ids = [r["sku_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise invalid(gettext("同一个 SKU 只能添加一次"), "items")
    prices = dict(Sku.objects.filter(pk__in=ids).values_list("pk", "retail_fen"))
    for row in rows:
        if row["sku_id"] not in prices:
            raise invalid(gettext("SKU 不存在"), "items", sku_id=row["sku_id"])
        if row["mode"] == DiscountMode.AMOUNT:
            row["amount_off_fen"] = _money(row["amount_off_fen"], "items", positive=True)
            if row["amount_off_fen"] >= prices[row["sku_id"]]:
                raise invalid(gettext("每件减的金额须低于 SKU 的零售价"), "items", sku_id=row["sku_id"])
            row["percent_off_bp"] = 0
        elif row["mode"] == DiscountMode.PERCENT:
            row["percent_off_bp"] = _rate(row["percent_off_bp"], "items")
            row["amount_off_fen"] = 0
        else:
            raise invalid(gettext("折扣方式不正确"), "items", sku_id=row["sku_id"])
    return rows


def validate_quantity_tier(values: Mapping[str, Any], *, tier_id: int | None = None) -> dict[str, Any]:
    """A tier price: at least 2 units, a percentage between 0 and 100 %, one tier per quantity of a
    SKU, and a larger quantity never taking less off than a smaller one of the same SKU."""
    data: dict[str, Any] = {name: values.get(name) for name in QUANTITY_TIER_FIELDS}
    if not Sku.objects.filter(pk=data["sku_id"]).exists():
        raise invalid(gettext("SKU 不存在"), "sku")
    data["min_quantity"] = _count(data["min_quantity"], "min_quantity", low=2)
    data["percent_off_bp"] = _rate(data["percent_off_bp"], "percent_off_bp")
    same_sku = QuantityTier.objects.filter(sku_id=data["sku_id"])
    if tier_id is not None:
        same_sku = same_sku.exclude(pk=tier_id)
    others = same_sku.values_list("min_quantity", "percent_off_bp")
    for quantity, rate in others:
        if quantity == data["min_quantity"]:
            raise invalid(gettext("该 SKU 已有相同起购件数的阶梯价"), "min_quantity")
        if (quantity < data["min_quantity"] and rate > data["percent_off_bp"]) or (
            quantity > data["min_quantity"] and rate < data["percent_off_bp"]
        ):
            raise invalid(
                gettext("起购件数越多，折扣须不少于件数更少的档位（已有 %(q)d 件减 %(r)s%%）")
                % {"q": quantity, "r": f"{rate / 100:g}"},
                "percent_off_bp",
            )
    return data


# --- overlap ----------------------------------------------------------------------------------------


def _overlapping(model: type[Model], starts_at: datetime, ends_at: datetime, exclude_id: int | None):
    return model._default_manager.filter(status=R.ACTIVE, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(pk=exclude_id)


def _overlap_error(kind: str, other: Any) -> PromotionError:
    when = {
        "name": other.name,
        "start": timezone.localtime(other.starts_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(other.ends_at).strftime("%Y-%m-%d %H:%M"),
    }
    if kind == Kind.FULL_REDUCTION:
        message = (
            gettext("与满减送「%(name)s」（%(start)s 至 %(end)s）时间重叠且适用商品重叠，同一商品同一时间只能参加一个满减送")
            % when
        )
    else:
        message = (
            gettext("与限时折扣「%(name)s」（%(start)s 至 %(end)s）时间重叠且含有相同商品，同一商品同一时间只能参加一个限时折扣")
            % when
        )
    return PromotionError(
        PromotionCode.ACTIVITY_OVERLAP,
        message,
        {
            "kind": str(kind),
            "other_id": other.pk,
            "other_name": other.name,
            "starts_at": other.starts_at,
            "ends_at": other.ends_at,
        },
        status=409,
    )


def _scopes_share_product(
    scope_a: str, categories_a: set[int], products_a: set[int], scope_b: str, categories_b: set[int], products_b: set[int]
) -> bool:
    if Scope.ALL in (scope_a, scope_b):
        return True
    if products_a & products_b or categories_a & categories_b:
        return True
    # a category on one side, products on the other: through each product's category
    cross = [(categories_a, products_b), (categories_b, products_a)]
    return any(
        categories and products and Product.objects.filter(pk__in=products, category_id__in=categories).exists()
        for categories, products in cross
    )


def check_full_reduction_overlap(
    *,
    starts_at: datetime,
    ends_at: datetime,
    scope: str,
    categories: Iterable[int] = (),
    products: Iterable[int] = (),
    exclude_id: int | None = None,
) -> None:
    """Raises `activity_overlap` (409) naming an active 满减送 whose window overlaps and whose scope
    shares a product with this one."""
    mine = (scope, set(categories), set(products))
    others = _overlapping(FullReduction, starts_at, ends_at, exclude_id).prefetch_related("categories", "products")
    for other in others.order_by("starts_at", "id"):
        theirs = (other.scope, {c.pk for c in other.categories.all()}, {p.pk for p in other.products.all()})
        if _scopes_share_product(*mine, *theirs):
            raise _overlap_error(Kind.FULL_REDUCTION, other)


def check_timed_discount_overlap(
    *, starts_at: datetime, ends_at: datetime, sku_ids: Iterable[int], exclude_id: int | None = None
) -> None:
    """Raises `activity_overlap` (409) naming an active timed discount whose window overlaps and that
    has a SKU of a product this one touches."""
    product_ids = set(Sku.objects.filter(pk__in=list(sku_ids)).values_list("product_id", flat=True))
    if not product_ids:
        return
    touching = TimedDiscountItem.objects.filter(sku__product_id__in=product_ids).values("discount_id")
    other = (
        _overlapping(TimedDiscount, starts_at, ends_at, exclude_id).filter(pk__in=touching).order_by("starts_at", "id").first()
    )
    if other is not None:
        raise _overlap_error(Kind.TIMED_DISCOUNT, other)


# --- audit ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {name: [_plain(before.get(name)), _plain(value)] for name, value in after.items() if before.get(name) != value}


def audit(kind: str, object_id: int, action: str, *, actor: Any = None, note: str = "", changes: Mapping[str, Any] | None = None):
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    return PromotionAudit.objects.create(
        kind=kind, object_id=object_id, action=action, actor=actor, note=(note or "")[:200], changes=dict(changes or {})
    )


def _serialise_lock() -> None:
    """Promotion writes take one row lock in turn, so two saves cannot both pass the overlap check."""
    PromotionSettings.objects.get_or_create(pk=1)
    PromotionSettings.objects.select_for_update().filter(pk=1).first()


def _locked(model: type[Model], kind: str, object_id: int) -> Any:
    obj = model._default_manager.select_for_update().filter(pk=object_id).first()
    if obj is None:
        raise not_found(kind, object_id)
    return obj


def _refuse_ended(obj: Any) -> None:
    if obj.status == R.ENDED:
        raise PromotionError(PromotionCode.INVALID_PROMOTION, gettext("已结束的活动不能修改"), {"id": obj.pk}, status=409)


def _ids(values: Iterable[Any] | None) -> list[int]:
    return sorted({v if isinstance(v, int) else v.pk for v in (values or ())})


def _within_campaign(promotion: Coupon | FullReduction | TimedDiscount) -> None:
    """A promotion of a campaign keeps its window within the campaign's after any change."""
    if promotion.campaign is not None:
        campaigns.check_promotion(promotion.campaign, promotion)


# --- coupons ----------------------------------------------------------------------------------------


def save_coupon(
    *,
    actor: Any,
    coupon_id: int | None = None,
    categories: Iterable[Any] = (),
    products: Iterable[Any] = (),
    **values: Any,
) -> Coupon:
    """Create (`coupon_id` None) or change a coupon. Categories and products are ids or objects."""
    with transaction.atomic():
        _serialise_lock()
        coupon = _locked(Coupon, Kind.COUPON, coupon_id) if coupon_id else None
        if coupon is not None:
            _refuse_ended(coupon)
        data = validate_coupon(values, coupon=coupon)
        category_ids, product_ids = validate_scope(data["scope"], categories, products)
        if coupon is None:
            coupon = Coupon.objects.create(**data, created_by=actor if getattr(actor, "pk", None) else None)
            coupon.categories.set(category_ids)
            coupon.products.set(product_ids)
            audit(Kind.COUPON, coupon.pk, Action.CREATED, actor=actor)
            return coupon
        before = {name: getattr(coupon, name) for name in data}
        before["categories"] = _ids(coupon.categories.all())
        before["products"] = _ids(coupon.products.all())
        for name, value in data.items():
            setattr(coupon, name, value)
        coupon.save()
        coupon.categories.set(category_ids)
        coupon.products.set(product_ids)
        _within_campaign(coupon)
        changes = _changes(before, {**data, "categories": category_ids, "products": product_ids})
        if changes:
            audit(Kind.COUPON, coupon.pk, Action.UPDATED, actor=actor, changes=changes)
        return coupon


# --- 满减送 ----------------------------------------------------------------------------------------


def validate_full_reduction(
    values: Mapping[str, Any],
    *,
    tiers: Sequence[Mapping[str, Any]] | None,
    categories: Iterable[Any] = (),
    products: Iterable[Any] = (),
    rule_id: int | None = None,
    active: bool = True,
) -> tuple[dict[str, Any], list[dict[str, Any]] | None, list[int], list[int]]:
    """Checks a 满减送 as a whole, overlap included when it is (or will be) active. `tiers` None
    checks the fields alone (the console checks its tiers apart)."""
    data: dict[str, Any] = {name: values.get(name) for name in FULL_REDUCTION_FIELDS}
    data["name"] = _name(data["name"])
    validate_window(data["starts_at"], data["ends_at"])
    category_ids, product_ids = validate_scope(data["scope"], categories, products)
    rows = validate_tiers(data["basis"], tiers) if tiers is not None else None
    if rows is None and data["basis"] not in FullReduction.Basis.values:
        raise invalid(gettext("门槛方式不正确"), "basis")
    if active:
        check_full_reduction_overlap(
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            scope=data["scope"],
            categories=category_ids,
            products=product_ids,
            exclude_id=rule_id,
        )
    return data, rows, category_ids, product_ids


def _tier_rows(rule: FullReduction) -> list[dict[str, Any]]:
    return [{name: getattr(t, name) for name in TIER_FIELDS} for t in rule.tiers.order_by("threshold")]


def save_full_reduction(
    *,
    actor: Any,
    tiers: Sequence[Mapping[str, Any]],
    rule_id: int | None = None,
    categories: Iterable[Any] = (),
    products: Iterable[Any] = (),
    **values: Any,
) -> FullReduction:
    """Create or change a 满减送 with its tiers (the tiers given replace the ones it had)."""
    with transaction.atomic():
        _serialise_lock()
        rule = _locked(FullReduction, Kind.FULL_REDUCTION, rule_id) if rule_id else None
        if rule is not None:
            _refuse_ended(rule)
        data, rows, category_ids, product_ids = validate_full_reduction(
            values,
            tiers=tiers,
            categories=categories,
            products=products,
            rule_id=rule_id,
            active=rule is None or rule.status == R.ACTIVE,
        )
        assert rows is not None
        if rule is None:
            rule = FullReduction.objects.create(**data, created_by=actor if getattr(actor, "pk", None) else None)
            before: dict[str, Any] | None = None
        else:
            before = {name: getattr(rule, name) for name in data}
            before |= {
                "categories": _ids(rule.categories.all()),
                "products": _ids(rule.products.all()),
                "tiers": _tier_rows(rule),
            }
            for name, value in data.items():
                setattr(rule, name, value)
            rule.save()
            rule.tiers.all().delete()
        rule.categories.set(category_ids)
        rule.products.set(product_ids)
        FullReductionTier.objects.bulk_create([FullReductionTier(rule=rule, **row) for row in rows])
        _within_campaign(rule)
        if before is None:
            audit(Kind.FULL_REDUCTION, rule.pk, Action.CREATED, actor=actor)
        else:
            changes = _changes(before, {**data, "categories": category_ids, "products": product_ids, "tiers": rows})
            if changes:
                audit(Kind.FULL_REDUCTION, rule.pk, Action.UPDATED, actor=actor, changes=changes)
        return rule


# --- timed discounts ---------------------------------------------------------------------------------


def validate_timed_discount(
    values: Mapping[str, Any], *, items: Sequence[Mapping[str, Any]], discount_id: int | None = None, active: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data: dict[str, Any] = {name: values.get(name) for name in TIMED_DISCOUNT_FIELDS}
    data["name"] = _name(data["name"])
    validate_window(data["starts_at"], data["ends_at"])
    rows = validate_items(items)
    if active:
        check_timed_discount_overlap(
            starts_at=data["starts_at"], ends_at=data["ends_at"], sku_ids=[r["sku_id"] for r in rows], exclude_id=discount_id
        )
    return data, rows


def _item_rows(discount: TimedDiscount) -> list[dict[str, Any]]:
    return [{name: getattr(i, name) for name in ITEM_FIELDS} for i in discount.items.order_by("sku_id")]


def save_timed_discount(
    *, actor: Any, items: Sequence[Mapping[str, Any]], discount_id: int | None = None, **values: Any
) -> TimedDiscount:
    """Create or change a timed discount with its SKUs (the SKUs given replace the ones it had)."""
    with transaction.atomic():
        _serialise_lock()
        discount = _locked(TimedDiscount, Kind.TIMED_DISCOUNT, discount_id) if discount_id else None
        if discount is not None:
            _refuse_ended(discount)
        data, rows = validate_timed_discount(
            values, items=items, discount_id=discount_id, active=discount is None or discount.status == R.ACTIVE
        )
        if discount is None:
            discount = TimedDiscount.objects.create(**data, created_by=actor if getattr(actor, "pk", None) else None)
            before: dict[str, Any] | None = None
        else:
            before = {name: getattr(discount, name) for name in data} | {"items": _item_rows(discount)}
            for name, value in data.items():
                setattr(discount, name, value)
            discount.save()
            discount.items.all().delete()
        TimedDiscountItem.objects.bulk_create([TimedDiscountItem(discount=discount, **row) for row in rows])
        _within_campaign(discount)
        if before is None:
            audit(Kind.TIMED_DISCOUNT, discount.pk, Action.CREATED, actor=actor)
        else:
            changes = _changes(before, {**data, "items": sorted(rows, key=lambda r: r["sku_id"])})
            if changes:
                audit(Kind.TIMED_DISCOUNT, discount.pk, Action.UPDATED, actor=actor, changes=changes)
        return discount


# --- quantity tiers ----------------------------------------------------------------------------------


def save_quantity_tier(*, actor: Any, tier_id: int | None = None, **values: Any) -> QuantityTier:
    with transaction.atomic():
        _serialise_lock()
        tier = _locked(QuantityTier, Kind.QUANTITY_TIER, tier_id) if tier_id else None
        data = validate_quantity_tier(values, tier_id=tier_id)
        if tier is None:
            tier = QuantityTier.objects.create(**data)
            audit(Kind.QUANTITY_TIER, tier.pk, Action.CREATED, actor=actor)
            return tier
        before = {name: getattr(tier, name) for name in data}
        for name, value in data.items():
            setattr(tier, name, value)
        tier.save()
        changes = _changes(before, data)
        if changes:
            audit(Kind.QUANTITY_TIER, tier.pk, Action.UPDATED, actor=actor, changes=changes)
        return tier


# --- pause, resume, end --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    to: str
    action: str


MOVES = {
    "pause": _Move(R.PAUSED, Action.PAUSED),
    "resume": _Move(R.ACTIVE, Action.RESUMED),
    "end": _Move(R.ENDED, Action.ENDED),
}


def _check_resume(kind: str, obj: Any) -> None:
    if kind == Kind.FULL_REDUCTION:
        check_full_reduction_overlap(
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            scope=obj.scope,
            categories=_ids(obj.categories.all()),
            products=_ids(obj.products.all()),
            exclude_id=obj.pk,
        )
    elif kind == Kind.TIMED_DISCOUNT:
        check_timed_discount_overlap(
            starts_at=obj.starts_at, ends_at=obj.ends_at, sku_ids=obj.items.values_list("sku_id", flat=True), exclude_id=obj.pk
        )


def change_status(*, kind: str, object_id: int, move: str, actor: Any, note: str = "") -> Any:
    """`move` is pause, resume or end. Resuming a 满减送 or timed discount is refused when another
    active one now overlaps it."""
    if kind not in RUNNING_KINDS:
        raise invalid(gettext("该类活动没有状态"), "kind")
    step = MOVES.get(move)
    if step is None:
        raise invalid(gettext("操作不正确"), "action")
    with transaction.atomic():
        _serialise_lock()
        obj = _locked(MODELS[kind], kind, object_id)
        RUN_MACHINE.check(obj.status, step.to, obj=obj)
        if step.to == R.ACTIVE:
            _check_resume(kind, obj)
        before = obj.status
        RUN_MACHINE.move(obj, step.to, actor=actor, note=note, extra_fields=["updated_at"])
        audit(kind, obj.pk, step.action, actor=actor, note=note, changes={"status": [before, step.to]})
        return obj


def pause(*, kind: str, object_id: int, actor: Any, note: str = "") -> Any:
    return change_status(kind=kind, object_id=object_id, move="pause", actor=actor, note=note)


def resume(*, kind: str, object_id: int, actor: Any, note: str = "") -> Any:
    return change_status(kind=kind, object_id=object_id, move="resume", actor=actor, note=note)


def end(*, kind: str, object_id: int, actor: Any, note: str = "") -> Any:
    return change_status(kind=kind, object_id=object_id, move="end", actor=actor, note=note)
