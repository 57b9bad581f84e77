"""The operator's marketing activities: create and change flash sales (秒杀, with their SKUs), group
buys (拼团, with their SKUs) and bargain activities (砍价); pause, resume and end them. Every write
leaves a `PromotionAudit` row (kinds flash / group / bargain), with each changed field's old and new
value for a change.

Checks: the window ends after it starts; an activity price is more than 0 and at most the SKU's
retail price. It may be below the SKU's control price (控价): a platform activity is exempt, the
console only warns (`below_control`). A SKU is in at most one flash sale at a time (a paused sale
still holds its stock, so only ended ones do not count); once a flash sale's stock has moved in, its
SKUs and start no longer change (it may still be ended). A group has 2–50 members and its virtual
success threshold is at most its size. A bargain's floor is at least 1 fen and leaves one fen at least
for each help. The share text is screened like a shop's texts (no links, phone numbers or WeChat
ids) and may not tie a reward to sharing (诱导分享).

Ending a flash sale early gives its unsold units back to the warehouse through the flash sale job
(which also runs every minute); a change to a flash sale rebuilds its admission counters. `record_visit` counts an activity page's visitors, once a day each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.catalog.models import Sku
from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.services.shop import screen_text

from ..errors import PromotionCode, PromotionError
from ..models import (
    ActivityKind,
    ActivityVisit,
    BargainActivity,
    FlashItem,
    FlashSale,
    GroupBuy,
    GroupBuyItem,
    PromotionAudit,
    RunStatus,
)
from . import flash
from .rules import MOVES, RUN_MACHINE, _changes, _count, _money, _name, _serialise_lock, audit, invalid, validate_window

R = RunStatus
Action = PromotionAudit.Action

MODELS: dict[str, type[Model]] = {
    ActivityKind.FLASH: FlashSale,
    ActivityKind.GROUP: GroupBuy,
    ActivityKind.BARGAIN: BargainActivity,
}
COMMON_FIELDS = ("name", "starts_at", "ends_at", "pays_commission", "allow_points", "share_text")
FLASH_FIELDS = (*COMMON_FIELDS, "unpaid_timeout_minutes")
FLASH_ITEM_FIELDS = ("sku_id", "price_fen", "quantity", "per_person_limit", "per_order_limit")
GROUP_FIELDS = (
    *COMMON_FIELDS,
    "group_size",
    "hours",
    "virtual_success",
    "virtual_min_members",
    "when_full",
    "leader_reward_fen",
    "per_order_limit",
)
GROUP_ITEM_FIELDS = ("sku_id", "price_fen")
BARGAIN_FIELDS = (
    *COMMON_FIELDS,
    "sku_id",
    "start_price_fen",
    "floor_price_fen",
    "helps_needed",
    "hours",
    "daily_help_limit",
    "help_requires_account",
    "buy_above_floor",
)
SHARE_TEXT_MAX = 120
VISITOR_KEY_MAX = 64

# 诱导分享: wording that ties a reward (or the right to buy) to sharing.
_INDUCED_SHARING = (
    re.compile(r"(分享|转发)[^，。！？；,.!?;]{0,15}?(即可|才能|才可|就能|就可|方可|领取|获得|得到|赢取|送|领|得)"),
    re.compile(r"(分享|转发|发)(到|至|给)?\s*[0-9一二两三四五六七八九十几多]+\s*(个)?\s*(群|好友|朋友|人)"),
    re.compile(r"集\s*[0-9一二两三四五六七八九十几多]*\s*个?\s*赞"),
)


def not_found(kind: str, object_id: Any) -> PromotionError:
    return PromotionError(
        PromotionCode.ACTIVITY_NOT_FOUND, gettext("活动不存在"), {"kind": str(kind), "id": object_id}, status=404
    )


# --- checks -----------------------------------------------------------------------------------------


def screen_share_text(value: Any) -> str:
    """The cleaned share text, or PromotionError `share_text_refused` naming the rule it broke."""
    try:
        text = screen_text(value, field="share_text", min_length=0, max_length=SHARE_TEXT_MAX)
    except DistributionError as exc:
        detail = dict(exc.detail) if isinstance(exc.detail, dict) else {}
        raise PromotionError(
            PromotionCode.SHARE_TEXT_REFUSED, exc.message, {**detail, "field": "share_text"}, status=400
        ) from exc
    folded = unicodedata.normalize("NFKC", text)
    for pattern in _INDUCED_SHARING:
        if pattern.search(folded):
            raise PromotionError(
                PromotionCode.SHARE_TEXT_REFUSED,
                gettext("分享文案不能以分享、转发或集赞为条件给予奖励（诱导分享）"),
                {"field": "share_text", "rule": "induced_sharing"},
                status=400,
            )
    return text


def _flag(value: Any, default: bool = False) -> bool:
    return default if value is None else bool(value)


def _between(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(gettext("须为 %(low)d–%(high)d 之间的整数") % {"low": low, "high": high}, field)
    return value


def validate_common(values: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: values.get(name) for name in fields}
    data["name"] = _name(data["name"])
    validate_window(data["starts_at"], data["ends_at"])
    data["pays_commission"] = _flag(data["pays_commission"], True)
    data["allow_points"] = _flag(data["allow_points"])
    data["share_text"] = screen_share_text(data["share_text"])
    return data


def _list_prices(sku_ids: Sequence[Any]) -> dict[int, int]:
    ids = [i for i in sku_ids if isinstance(i, int) and not isinstance(i, bool)]
    return dict(Sku.objects.filter(pk__in=ids).values_list("pk", "retail_fen"))


def _price(value: Any, field: str, *, sku_id: int, list_price: int) -> int:
    price = _money(value, field, positive=True)
    if price > list_price:
        raise invalid(
            gettext("活动价不能高于 SKU 的零售价（¥%(price)s）") % {"price": f"{list_price / 100:.2f}"},
            field,
            sku_id=sku_id,
            list_price_fen=list_price,
        )
    return price


def _sku_rows(items: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> tuple[list[dict[str, Any]], dict[int, int]]:
    if not items:
        raise invalid(gettext("请至少添加一个 SKU"), "items")
    rows = [{name: item.get(name) for name in fields} for item in items]
    ids = [row["sku_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise invalid(gettext("同一个 SKU 只能添加一次"), "items")
    prices = _list_prices(ids)
    for row in rows:
        if row["sku_id"] not in prices:
            raise invalid(gettext("SKU 不存在"), "items", sku_id=row["sku_id"])
        row["price_fen"] = _price(row["price_fen"], "items", sku_id=row["sku_id"], list_price=prices[row["sku_id"]])
    return rows, prices


def below_control(prices: Mapping[int, int]) -> list[int]:
    """The SKUs (of `{sku_id: activity price}`) priced below their control price (控价). Allowed for
    a platform activity; the console shows a warning."""
    control = dict(Sku.objects.filter(pk__in=list(prices)).values_list("pk", "control_fen"))
    return sorted(sku_id for sku_id, price in prices.items() if sku_id in control and price < control[sku_id])


def validate_flash_sale(
    values: Mapping[str, Any], *, items: Sequence[Mapping[str, Any]] | None, sale_id: int | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The sale's fields and SKU rows checked (overlap included); `items` None checks the fields alone
    (the console checks its rows apart)."""
    data = validate_common(values, FLASH_FIELDS)
    timeout = data["unpaid_timeout_minutes"]
    data["unpaid_timeout_minutes"] = _between(5 if timeout is None else timeout, "unpaid_timeout_minutes", 1, 60)
    if items is None:
        return data, []
    rows, _prices = _sku_rows(items, FLASH_ITEM_FIELDS)
    for row in rows:
        row["quantity"] = _count(row["quantity"], "items", low=1)
        row["per_person_limit"] = _count(1 if row["per_person_limit"] is None else row["per_person_limit"], "items", low=1)
        row["per_order_limit"] = _count(1 if row["per_order_limit"] is None else row["per_order_limit"], "items", low=1)
        if row["per_order_limit"] > row["per_person_limit"]:
            raise invalid(gettext("每单限购不能多于每人限购"), "items", sku_id=row["sku_id"])
    check_flash_overlap(
        starts_at=data["starts_at"], ends_at=data["ends_at"], sku_ids=[r["sku_id"] for r in rows], exclude_id=sale_id
    )
    return data, rows


def check_flash_overlap(*, starts_at, ends_at, sku_ids: Sequence[int], exclude_id: int | None = None) -> None:
    """Raises `activity_overlap` (409) naming a flash sale (not ended) whose window overlaps and
    that has one of these SKUs."""
    other = (
        FlashItem.objects.filter(sku_id__in=list(sku_ids), sale__starts_at__lt=ends_at, sale__ends_at__gt=starts_at)
        .exclude(sale__status=R.ENDED)
        .exclude(sale_id=exclude_id)
        .select_related("sale")
        .order_by("sale__starts_at", "sale_id", "id")
        .first()
    )
    if other is None:
        return
    sale = other.sale
    raise PromotionError(
        PromotionCode.ACTIVITY_OVERLAP,
        gettext("SKU 已在秒杀场次「%(name)s」（%(start)s 至 %(end)s）中，同一 SKU 同一时间只能参加一场秒杀")
        % {
            "name": sale.name,
            "start": timezone.localtime(sale.starts_at).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(sale.ends_at).strftime("%Y-%m-%d %H:%M"),
        },
        {
            "field": "items",
            "kind": ActivityKind.FLASH.value,
            "other_id": sale.pk,
            "other_name": sale.name,
            "sku_id": other.sku_id,
            "starts_at": sale.starts_at,
            "ends_at": sale.ends_at,
        },
        status=409,
    )


def validate_group_buy(
    values: Mapping[str, Any], *, items: Sequence[Mapping[str, Any]] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = validate_common(values, GROUP_FIELDS)
    data["group_size"] = _between(3 if data["group_size"] is None else data["group_size"], "group_size", 2, 50)
    data["hours"] = _between(24 if data["hours"] is None else data["hours"], "hours", 1, 168)
    data["virtual_success"] = _flag(data["virtual_success"])
    minimum = 2 if data["virtual_min_members"] is None else data["virtual_min_members"]
    data["virtual_min_members"] = _count(minimum, "virtual_min_members", low=1)
    if data["virtual_min_members"] > data["group_size"]:
        raise invalid(gettext("模拟成团门槛不能多于成团人数"), "virtual_min_members")
    data["when_full"] = data["when_full"] or GroupBuy.WhenFull.NEW_GROUP
    if data["when_full"] not in GroupBuy.WhenFull.values:
        raise invalid(gettext("满团后付款的处理方式不正确"), "when_full")
    data["leader_reward_fen"] = _money(data["leader_reward_fen"] or 0, "leader_reward_fen")
    data["per_order_limit"] = _count(data["per_order_limit"] or 1, "per_order_limit", low=1)
    if items is None:
        return data, []
    rows, _prices = _sku_rows(items, GROUP_ITEM_FIELDS)
    return data, rows


def validate_bargain_activity(values: Mapping[str, Any]) -> dict[str, Any]:
    data = validate_common(values, BARGAIN_FIELDS)
    prices = _list_prices([data["sku_id"]])
    if data["sku_id"] not in prices:
        raise invalid(gettext("SKU 不存在"), "sku")
    data["start_price_fen"] = _price(
        data["start_price_fen"], "start_price_fen", sku_id=data["sku_id"], list_price=prices[data["sku_id"]]
    )
    data["floor_price_fen"] = _money(data["floor_price_fen"], "floor_price_fen", positive=True)
    data["helps_needed"] = _between(5 if data["helps_needed"] is None else data["helps_needed"], "helps_needed", 1, 100)
    if data["start_price_fen"] - data["floor_price_fen"] < data["helps_needed"]:
        raise invalid(gettext("起砍价与底价之差须至少为每次助力 1 分（不少于需要助力人数）"), "floor_price_fen")
    data["hours"] = _between(24 if data["hours"] is None else data["hours"], "hours", 1, 168)
    data["daily_help_limit"] = _count(
        3 if data["daily_help_limit"] is None else data["daily_help_limit"], "daily_help_limit", low=1
    )
    data["help_requires_account"] = _flag(data["help_requires_account"], True)
    data["buy_above_floor"] = _flag(data["buy_above_floor"])
    return data


# --- writes -----------------------------------------------------------------------------------------


def _object_id(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else value.pk


def _locked(kind: str, object_id: int) -> Any:
    obj = MODELS[kind]._default_manager.select_for_update().filter(pk=object_id).first()
    if obj is None:
        raise not_found(kind, object_id)
    return obj


def _refuse_ended(obj: Any) -> None:
    if obj.status == R.ENDED:
        raise PromotionError(PromotionCode.INVALID_PROMOTION, gettext("已结束的活动不能修改"), {"id": obj.pk}, status=409)


def _creator(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _flash_rows(sale: FlashSale) -> list[dict[str, Any]]:
    return [{name: getattr(i, name) for name in FLASH_ITEM_FIELDS} for i in sale.items.order_by("sku_id")]


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r["sku_id"])


def save_flash_sale(
    *, actor: Any, sale: FlashSale | int | None = None, items: Sequence[Mapping[str, Any]], **values: Any
) -> FlashSale:
    """Create (`sale` None) or change a flash sale with its SKUs (the SKUs given replace the ones it had;
    a SKU kept keeps its row, so its stock location stays)."""
    sale_id = _object_id(sale)
    with transaction.atomic():
        _serialise_lock()
        current = _locked(ActivityKind.FLASH, sale_id) if sale_id else None
        if current is not None:
            _refuse_ended(current)
        data, rows = validate_flash_sale(values, items=items, sale_id=sale_id)
        if current is None:
            current = FlashSale.objects.create(**data, created_by=_creator(actor))
            FlashItem.objects.bulk_create([FlashItem(sale=current, position=n, **row) for n, row in enumerate(rows)])
            audit(ActivityKind.FLASH, current.pk, Action.CREATED, actor=actor)
            return current
        before = {name: getattr(current, name) for name in data} | {"items": _flash_rows(current)}
        if current.stock_moved_at is not None:
            if _sorted(rows) != before["items"]:
                raise PromotionError(
                    PromotionCode.INVALID_PROMOTION,
                    gettext("秒杀库存已转入，不能再修改商品、价格和数量；如需调整请结束本场"),
                    {"field": "items", "id": current.pk},
                    status=409,
                )
            if data["starts_at"] != current.starts_at:
                raise PromotionError(
                    PromotionCode.INVALID_PROMOTION,
                    gettext("秒杀已开始，不能修改开始时间"),
                    {"field": "starts_at", "id": current.pk},
                    status=409,
                )
        for name, value in data.items():
            setattr(current, name, value)
        current.save()
        if current.stock_moved_at is None:
            kept = {item.sku_id: item for item in current.items.all()}
            wanted = {row["sku_id"] for row in rows}
            FlashItem.objects.filter(sale=current).exclude(sku_id__in=wanted).delete()
            for position, row in enumerate(rows):
                item = kept.get(row["sku_id"])
                if item is None:
                    FlashItem.objects.create(sale=current, position=position, **row)
                    continue
                for name, value in row.items():
                    setattr(item, name, value)
                item.position = position
                item.save()
        changes = _changes(before, {**data, "items": _sorted(rows)})
        if changes:
            audit(ActivityKind.FLASH, current.pk, Action.UPDATED, actor=actor, changes=changes)
            flash.sale_changed(current.pk)
        return current


def _group_rows(activity: GroupBuy) -> list[dict[str, Any]]:
    return [{name: getattr(i, name) for name in GROUP_ITEM_FIELDS} for i in activity.items.order_by("sku_id")]


def save_group_buy(
    *, actor: Any, group_buy: GroupBuy | int | None = None, items: Sequence[Mapping[str, Any]], **values: Any
) -> GroupBuy:
    """Create or change a group buy with its SKUs (the SKUs given replace the ones it had; groups
    already open keep the size they were opened with)."""
    activity_id = _object_id(group_buy)
    with transaction.atomic():
        _serialise_lock()
        current = _locked(ActivityKind.GROUP, activity_id) if activity_id else None
        if current is not None:
            _refuse_ended(current)
        data, rows = validate_group_buy(values, items=items)
        if current is None:
            current = GroupBuy.objects.create(**data, created_by=_creator(actor))
            GroupBuyItem.objects.bulk_create([GroupBuyItem(activity=current, **row) for row in rows])
            audit(ActivityKind.GROUP, current.pk, Action.CREATED, actor=actor)
            return current
        before = {name: getattr(current, name) for name in data} | {"items": _group_rows(current)}
        for name, value in data.items():
            setattr(current, name, value)
        current.save()
        kept = {item.sku_id: item for item in current.items.all()}
        GroupBuyItem.objects.filter(activity=current).exclude(sku_id__in=[r["sku_id"] for r in rows]).delete()
        for row in rows:
            item = kept.get(row["sku_id"])
            if item is None:
                GroupBuyItem.objects.create(activity=current, **row)
            elif item.price_fen != row["price_fen"]:
                item.price_fen = row["price_fen"]
                item.save(update_fields=["price_fen"])
        changes = _changes(before, {**data, "items": _sorted(rows)})
        if changes:
            audit(ActivityKind.GROUP, current.pk, Action.UPDATED, actor=actor, changes=changes)
        return current


def save_bargain_activity(*, actor: Any, activity: BargainActivity | int | None = None, **values: Any) -> BargainActivity:
    """Create or change a bargain activity (bargains already started keep their own prices)."""
    activity_id = _object_id(activity)
    with transaction.atomic():
        _serialise_lock()
        current = _locked(ActivityKind.BARGAIN, activity_id) if activity_id else None
        if current is not None:
            _refuse_ended(current)
        data = validate_bargain_activity(values)
        if current is None:
            current = BargainActivity.objects.create(**data, created_by=_creator(actor))
            audit(ActivityKind.BARGAIN, current.pk, Action.CREATED, actor=actor)
            return current
        before = {name: getattr(current, name) for name in data}
        for name, value in data.items():
            setattr(current, name, value)
        current.save()
        changes = _changes(before, data)
        if changes:
            audit(ActivityKind.BARGAIN, current.pk, Action.UPDATED, actor=actor, changes=changes)
        return current


# --- pause, resume, end --------------------------------------------------------------------------------


def change_status(*, kind: str, activity_id: int, move: str, actor: Any, reason: str = "") -> Any:
    """`move` is pause, resume or end. Resuming a flash sale is refused when another one now holds
    one of its SKUs in an overlapping window. Ending is final."""
    if kind not in MODELS:
        raise invalid(gettext("活动类型不正确"), "kind")
    step = MOVES.get(move)
    if step is None:
        raise invalid(gettext("操作不正确"), "action")
    with transaction.atomic():
        _serialise_lock()
        obj = _locked(kind, activity_id)
        RUN_MACHINE.check(obj.status, step.to, obj=obj)
        if kind == ActivityKind.FLASH and step.to == R.ACTIVE:
            check_flash_overlap(
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                sku_ids=list(obj.items.values_list("sku_id", flat=True)),
                exclude_id=obj.pk,
            )
        before = obj.status
        RUN_MACHINE.move(obj, step.to, actor=actor, note=reason, extra_fields=["updated_at"])
        audit(kind, obj.pk, step.action, actor=actor, note=reason, changes={"status": [before, step.to]})
        if kind == ActivityKind.FLASH:
            flash.sale_changed(obj.pk)
        if kind == ActivityKind.FLASH and step.to == R.ENDED and obj.stock_moved_at and not obj.stock_returned_at:
            transaction.on_commit(flash.return_ended_flash_stock)
        return obj


def pause(*, kind: str, activity_id: int, actor: Any, reason: str = "") -> Any:
    return change_status(kind=kind, activity_id=activity_id, move="pause", actor=actor, reason=reason)


def resume(*, kind: str, activity_id: int, actor: Any, reason: str = "") -> Any:
    return change_status(kind=kind, activity_id=activity_id, move="resume", actor=actor, reason=reason)


def end(*, kind: str, activity_id: int, actor: Any, reason: str = "") -> Any:
    return change_status(kind=kind, activity_id=activity_id, move="end", actor=actor, reason=reason)


# --- visitors -------------------------------------------------------------------------------------------


def record_visit(kind: str, activity_id: int, visitor_key: str, day: date | None = None) -> None:
    """Count a visitor of an activity's page (once a day each; repeats are ignored)."""
    key = str(visitor_key or "")[:VISITOR_KEY_MAX]
    if not key or kind not in MODELS:
        return
    ActivityVisit.objects.bulk_create(
        [ActivityVisit(kind=kind, activity_id=activity_id, visitor_key=key, day=day or timezone.localdate())],
        ignore_conflicts=True,
    )
