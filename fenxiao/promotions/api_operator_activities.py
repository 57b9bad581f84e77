"""The operator's marketing activities API, mounted at /api/v1/operator/activities: flash sales (秒杀),
group buys (拼团) and bargain activities (砍价) — list, create, read, change (PATCH: the fields sent;
`items` sent replace the SKUs), pause / resume / end with a reason, and each activity's figures. Every
write goes through `services.activities`. Money in fen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from ninja import Query, Router, Schema, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.common.validation import StrictIn

from .errors import PromotionCode, PromotionError
from .models import ActivityKind, BargainActivity, FlashSale, GroupBuy
from .selectors_activities import activity_figures
from .services import activities as service

router = Router(tags=["运营：营销活动 operator"], auth=member_auth)
MAX_PAGE = 200
FLASH, GROUP, BARGAIN = ActivityKind.FLASH, ActivityKind.GROUP, ActivityKind.BARGAIN


# --- schemas -------------------------------------------------------------------------------------------


class ActOpListQuery(Schema):
    status: str | None = None
    limit: int = 50
    offset: int = 0


class ActOpFlashItemIn(StrictIn):
    sku_id: int
    price_fen: int
    quantity: int
    per_person_limit: int = 1
    per_order_limit: int = 1


class ActOpFlashItemOut(Schema):
    id: int
    sku_id: int
    price_fen: int
    quantity: int
    moved_quantity: int
    per_person_limit: int
    per_order_limit: int


class ActOpFlashSaleIn(StrictIn):
    name: str
    starts_at: datetime
    ends_at: datetime
    unpaid_timeout_minutes: int = 5
    pays_commission: bool = True
    allow_points: bool = False
    share_text: str = ""
    items: list[ActOpFlashItemIn]


class ActOpFlashSalePatch(StrictIn):
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    unpaid_timeout_minutes: int | None = None
    pays_commission: bool | None = None
    allow_points: bool | None = None
    share_text: str | None = None
    items: list[ActOpFlashItemIn] | None = None


class ActOpActivityOut(Schema):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    pays_commission: bool
    allow_points: bool
    share_text: str
    below_control_skus: list[int]
    created_at: datetime
    updated_at: datetime


class ActOpFlashSaleOut(ActOpActivityOut):
    unpaid_timeout_minutes: int
    stock_moved_at: datetime | None
    stock_returned_at: datetime | None
    items: list[ActOpFlashItemOut]


class ActOpGroupItemIn(StrictIn):
    sku_id: int
    price_fen: int


class ActOpGroupItemOut(Schema):
    id: int
    sku_id: int
    price_fen: int


class ActOpGroupBuyIn(StrictIn):
    name: str
    starts_at: datetime
    ends_at: datetime
    group_size: int = 3
    hours: int = 24
    virtual_success: bool = False
    virtual_min_members: int = 2
    when_full: str = GroupBuy.WhenFull.NEW_GROUP
    leader_reward_fen: int = 0
    per_order_limit: int = 1
    pays_commission: bool = True
    allow_points: bool = False
    share_text: str = ""
    items: list[ActOpGroupItemIn]


class ActOpGroupBuyPatch(StrictIn):
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    group_size: int | None = None
    hours: int | None = None
    virtual_success: bool | None = None
    virtual_min_members: int | None = None
    when_full: str | None = None
    leader_reward_fen: int | None = None
    per_order_limit: int | None = None
    pays_commission: bool | None = None
    allow_points: bool | None = None
    share_text: str | None = None
    items: list[ActOpGroupItemIn] | None = None


class ActOpGroupBuyOut(ActOpActivityOut):
    group_size: int
    hours: int
    virtual_success: bool
    virtual_min_members: int
    when_full: str
    leader_reward_fen: int
    per_order_limit: int
    items: list[ActOpGroupItemOut]


class ActOpBargainIn(StrictIn):
    name: str
    starts_at: datetime
    ends_at: datetime
    sku_id: int
    start_price_fen: int
    floor_price_fen: int
    helps_needed: int = 5
    hours: int = 24
    daily_help_limit: int = 3
    help_requires_account: bool = True
    buy_above_floor: bool = False
    pays_commission: bool = True
    allow_points: bool = False
    share_text: str = ""


class ActOpBargainPatch(StrictIn):
    name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    sku_id: int | None = None
    start_price_fen: int | None = None
    floor_price_fen: int | None = None
    helps_needed: int | None = None
    hours: int | None = None
    daily_help_limit: int | None = None
    help_requires_account: bool | None = None
    buy_above_floor: bool | None = None
    pays_commission: bool | None = None
    allow_points: bool | None = None
    share_text: str | None = None


class ActOpBargainOut(ActOpActivityOut):
    sku_id: int
    start_price_fen: int
    floor_price_fen: int
    helps_needed: int
    hours: int
    daily_help_limit: int
    help_requires_account: bool
    buy_above_floor: bool


class ActOpFiguresOut(Schema):
    kind: str
    id: int
    visitors: int
    participants: int
    orders: int
    gmv_fen: int
    refunded_fen: int
    cost_fen: int
    groups_opened: int | None = None
    groups_succeeded: int | None = None
    groups_failed: int | None = None
    starters: int | None = None
    helpers: int | None = None
    bargains: int | None = None
    bargains_at_floor: int | None = None


# --- helpers ---------------------------------------------------------------------------------------------


def _page(queryset, filters: ActOpListQuery):
    if not 1 <= filters.limit <= MAX_PAGE or filters.offset < 0:
        raise PromotionError(
            PromotionCode.INVALID_PROMOTION, gettext("分页参数不正确"), {"limit": filters.limit, "offset": filters.offset}
        )
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset[filters.offset : filters.offset + filters.limit]


def _get(kind: str, activity_id: int):
    queryset: QuerySet[Any] = {
        FLASH: FlashSale.objects.prefetch_related("items"),
        GROUP: GroupBuy.objects.prefetch_related("items"),
        BARGAIN: BargainActivity.objects.all(),
    }[ActivityKind(kind)]
    obj = queryset.filter(pk=activity_id).first()
    if obj is None:
        raise service.not_found(kind, activity_id)
    return obj


def _common(obj, prices: dict[int, int]) -> dict[str, Any]:
    return {
        **{name: getattr(obj, name) for name in service.COMMON_FIELDS},
        "id": obj.pk,
        "status": obj.status,
        "status_label": obj.get_status_display(),
        "below_control_skus": service.below_control(prices),
        "created_at": obj.created_at,
        "updated_at": obj.updated_at,
    }


def _flash(sale: FlashSale) -> dict[str, Any]:
    items = list(sale.items.all())
    return {
        **_common(sale, {i.sku_id: i.price_fen for i in items}),
        "unpaid_timeout_minutes": sale.unpaid_timeout_minutes,
        "stock_moved_at": sale.stock_moved_at,
        "stock_returned_at": sale.stock_returned_at,
        "items": [
            {"id": i.pk, "moved_quantity": i.moved_quantity, **{n: getattr(i, n) for n in service.FLASH_ITEM_FIELDS}}
            for i in items
        ],
    }


def _group(activity: GroupBuy) -> dict[str, Any]:
    items = list(activity.items.all())
    return {
        **_common(activity, {i.sku_id: i.price_fen for i in items}),
        **{name: getattr(activity, name) for name in service.GROUP_FIELDS},
        "items": [{"id": i.pk, "sku_id": i.sku_id, "price_fen": i.price_fen} for i in items],
    }


def _bargain(activity: BargainActivity) -> dict[str, Any]:
    return {
        **_common(activity, {activity.sku_id: activity.floor_price_fen}),
        **{name: getattr(activity, name) for name in service.BARGAIN_FIELDS},
    }


def _merged(obj, payload: StrictIn, fields: tuple[str, ...], item_fields: tuple[str, ...] | None) -> dict[str, Any]:
    """The activity's current values with the fields sent laid over them."""
    sent = payload.dict(exclude_unset=True)
    values = {name: getattr(obj, name) for name in fields}
    values.update({name: value for name, value in sent.items() if name != "items" and value is not None})
    if item_fields is not None:
        items = sent.get("items")
        if items is None:
            items = [{n: getattr(i, n) for n in item_fields} for i in obj.items.all()]
        values["items"] = [dict(i) for i in items]
    return values


def _moved(request, kind: str, activity_id: int, move: str, reason: str) -> None:
    service.change_status(kind=kind, activity_id=activity_id, move=move, actor=current_user(request), reason=reason)


def _figures(kind: str, activity_id: int) -> dict[str, Any]:
    _get(kind, activity_id)
    return activity_figures(kind, activity_id)


# --- flash sales -----------------------------------------------------------------------------------------


@router.get("/flash-sales", response=list[ActOpFlashSaleOut], summary="秒杀场次列表")
def list_flash_sales(request, filters: Query[ActOpListQuery]):
    require_staff_perm(request, "promotions.view_flashsale")
    return [_flash(s) for s in _page(FlashSale.objects.prefetch_related("items"), filters)]


@router.post("/flash-sales", response={201: ActOpFlashSaleOut}, summary="新建秒杀场次（同一 SKU 同一时间只能参加一场）")
def create_flash_sale(request, payload: ActOpFlashSaleIn):
    require_staff_perm(request, "promotions.add_flashsale")
    data = payload.dict()
    data["items"] = [dict(i) for i in data["items"]]
    sale = service.save_flash_sale(actor=current_user(request), **data)
    return Status(201, _flash(_get(FLASH, sale.pk)))


@router.get("/flash-sales/{sale_id}", response=ActOpFlashSaleOut, summary="秒杀场次详情")
def get_flash_sale(request, sale_id: int):
    require_staff_perm(request, "promotions.view_flashsale")
    return _flash(_get(FLASH, sale_id))


@router.patch("/flash-sales/{sale_id}", response=ActOpFlashSaleOut, summary="修改秒杀场次（库存转入后不能改商品和开始时间）")
def update_flash_sale(request, sale_id: int, payload: ActOpFlashSalePatch):
    require_staff_perm(request, "promotions.change_flashsale")
    values = _merged(_get(FLASH, sale_id), payload, service.FLASH_FIELDS, service.FLASH_ITEM_FIELDS)
    service.save_flash_sale(actor=current_user(request), sale=sale_id, **values)
    return _flash(_get(FLASH, sale_id))


@router.get("/flash-sales/{sale_id}/figures", response=ActOpFiguresOut, summary="秒杀数据：访客、参与、订单、成交额、退款、成本")
def flash_sale_figures(request, sale_id: int):
    require_staff_perm(request, "promotions.view_flashsale")
    return _figures(FLASH, sale_id)


@router.post("/flash-sales/{sale_id}/pause", response=ActOpFlashSaleOut, summary="暂停秒杀场次")
def pause_flash_sale(request, sale_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_flashsale")
    _moved(request, FLASH, sale_id, "pause", reason)
    return _flash(_get(FLASH, sale_id))


@router.post("/flash-sales/{sale_id}/resume", response=ActOpFlashSaleOut, summary="恢复秒杀场次")
def resume_flash_sale(request, sale_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_flashsale")
    _moved(request, FLASH, sale_id, "resume", reason)
    return _flash(_get(FLASH, sale_id))


@router.post("/flash-sales/{sale_id}/end", response=ActOpFlashSaleOut, summary="结束秒杀场次（不可恢复；未售出库存退回平台仓）")
def end_flash_sale(request, sale_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_flashsale")
    _moved(request, FLASH, sale_id, "end", reason)
    return _flash(_get(FLASH, sale_id))


# --- group buys -------------------------------------------------------------------------------------------


@router.get("/group-buys", response=list[ActOpGroupBuyOut], summary="拼团活动列表")
def list_group_buys(request, filters: Query[ActOpListQuery]):
    require_staff_perm(request, "promotions.view_groupbuy")
    return [_group(a) for a in _page(GroupBuy.objects.prefetch_related("items"), filters)]


@router.post("/group-buys", response={201: ActOpGroupBuyOut}, summary="新建拼团活动")
def create_group_buy(request, payload: ActOpGroupBuyIn):
    require_staff_perm(request, "promotions.add_groupbuy")
    data = payload.dict()
    data["items"] = [dict(i) for i in data["items"]]
    activity = service.save_group_buy(actor=current_user(request), **data)
    return Status(201, _group(_get(GROUP, activity.pk)))


@router.get("/group-buys/{activity_id}", response=ActOpGroupBuyOut, summary="拼团活动详情")
def get_group_buy(request, activity_id: int):
    require_staff_perm(request, "promotions.view_groupbuy")
    return _group(_get(GROUP, activity_id))


@router.patch("/group-buys/{activity_id}", response=ActOpGroupBuyOut, summary="修改拼团活动（已开的团保持原成团人数）")
def update_group_buy(request, activity_id: int, payload: ActOpGroupBuyPatch):
    require_staff_perm(request, "promotions.change_groupbuy")
    values = _merged(_get(GROUP, activity_id), payload, service.GROUP_FIELDS, service.GROUP_ITEM_FIELDS)
    service.save_group_buy(actor=current_user(request), group_buy=activity_id, **values)
    return _group(_get(GROUP, activity_id))


@router.get(
    "/group-buys/{activity_id}/figures",
    response=ActOpFiguresOut,
    summary="拼团数据：访客、参与、开团/成团/失败、订单、成交额、成本",
)
def group_buy_figures(request, activity_id: int):
    require_staff_perm(request, "promotions.view_groupbuy")
    return _figures(GROUP, activity_id)


@router.post("/group-buys/{activity_id}/pause", response=ActOpGroupBuyOut, summary="暂停拼团活动（已开的团照常进行）")
def pause_group_buy(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_groupbuy")
    _moved(request, GROUP, activity_id, "pause", reason)
    return _group(_get(GROUP, activity_id))


@router.post("/group-buys/{activity_id}/resume", response=ActOpGroupBuyOut, summary="恢复拼团活动")
def resume_group_buy(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_groupbuy")
    _moved(request, GROUP, activity_id, "resume", reason)
    return _group(_get(GROUP, activity_id))


@router.post("/group-buys/{activity_id}/end", response=ActOpGroupBuyOut, summary="结束拼团活动（不可恢复）")
def end_group_buy(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_groupbuy")
    _moved(request, GROUP, activity_id, "end", reason)
    return _group(_get(GROUP, activity_id))


# --- bargains ---------------------------------------------------------------------------------------------


@router.get("/bargains", response=list[ActOpBargainOut], summary="砍价活动列表")
def list_bargains(request, filters: Query[ActOpListQuery]):
    require_staff_perm(request, "promotions.view_bargainactivity")
    return [_bargain(a) for a in _page(BargainActivity.objects.all(), filters)]


@router.post("/bargains", response={201: ActOpBargainOut}, summary="新建砍价活动")
def create_bargain(request, payload: ActOpBargainIn):
    require_staff_perm(request, "promotions.add_bargainactivity")
    activity = service.save_bargain_activity(actor=current_user(request), **payload.dict())
    return Status(201, _bargain(_get(BARGAIN, activity.pk)))


@router.get("/bargains/{activity_id}", response=ActOpBargainOut, summary="砍价活动详情")
def get_bargain(request, activity_id: int):
    require_staff_perm(request, "promotions.view_bargainactivity")
    return _bargain(_get(BARGAIN, activity_id))


@router.patch("/bargains/{activity_id}", response=ActOpBargainOut, summary="修改砍价活动（已发起的砍价保持原价格）")
def update_bargain(request, activity_id: int, payload: ActOpBargainPatch):
    require_staff_perm(request, "promotions.change_bargainactivity")
    values = _merged(_get(BARGAIN, activity_id), payload, service.BARGAIN_FIELDS, None)
    service.save_bargain_activity(actor=current_user(request), activity=activity_id, **values)
    return _bargain(_get(BARGAIN, activity_id))


@router.get("/bargains/{activity_id}/figures", response=ActOpFiguresOut, summary="砍价数据：访客、发起、助力、订单、成交额、成本")
def bargain_figures(request, activity_id: int):
    require_staff_perm(request, "promotions.view_bargainactivity")
    return _figures(BARGAIN, activity_id)


@router.post("/bargains/{activity_id}/pause", response=ActOpBargainOut, summary="暂停砍价活动")
def pause_bargain(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_bargainactivity")
    _moved(request, BARGAIN, activity_id, "pause", reason)
    return _bargain(_get(BARGAIN, activity_id))


@router.post("/bargains/{activity_id}/resume", response=ActOpBargainOut, summary="恢复砍价活动")
def resume_bargain(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_bargainactivity")
    _moved(request, BARGAIN, activity_id, "resume", reason)
    return _bargain(_get(BARGAIN, activity_id))


@router.post("/bargains/{activity_id}/end", response=ActOpBargainOut, summary="结束砍价活动（不可恢复）")
def end_bargain(request, activity_id: int, reason: str = ""):
    require_staff_perm(request, "promotions.change_bargainactivity")
    _moved(request, BARGAIN, activity_id, "end", reason)
    return _bargain(_get(BARGAIN, activity_id))
