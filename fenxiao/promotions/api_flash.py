"""Flash sales (秒杀): /api/v1/flash-sales — the day's slots and an item (public), and the member's
"remind me" (提醒我). Orders are placed at POST /api/v1/orders/flash."""

from dataclasses import asdict
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.common.periods import local_today

from . import selectors_flash
from .errors import PromotionCode, PromotionError
from .services import flash

router = Router(tags=["秒杀 flash sales"])


class FlashItemOut(Schema):
    id: int
    sale_id: int
    sku_id: int
    product_id: int
    product_name: str
    sku_spec: str
    image_url: str
    price_fen: int = Field(description="秒杀价（分）")
    list_price_fen: int = Field(description="原价（分）")
    quantity: int = Field(description="秒杀库存")
    sold: int = Field(description="已抢（待付款与已付款订单的件数）")
    sold_percent: int = Field(description="已抢百分比 0–100")
    remaining: int
    per_person_limit: int
    per_order_limit: int
    on_shelf: bool


class FlashSlotOut(Schema):
    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    state: str = Field(description="upcoming 即将开始 / running 抢购中 / paused 已暂停 / ended 已结束")
    unpaid_timeout_minutes: int
    allow_points: bool
    share_text: str
    items: list[FlashItemOut]


class FlashDayOut(Schema):
    day: date
    now: datetime
    slots: list[FlashSlotOut]


class FlashItemDetailOut(Schema):
    now: datetime
    slot: FlashSlotOut
    item: FlashItemOut


class FlashDayQuery(Schema):
    day: date | None = Field(None, description="本地日期 YYYY-MM-DD，默认今天")


class FlashReminderOut(Schema):
    sale_id: int
    reminded: bool


@router.get("", response=FlashDayOut, summary="某天的秒杀场次与商品（公开）")
def day(request, q: Query[FlashDayQuery]):
    now = timezone.now()
    the_day = q.day or local_today(now)
    slots = selectors_flash.day_slots(the_day, now)
    return {"day": the_day, "now": now, "slots": [asdict(slot) for slot in slots]}


@router.get("/items/{item_id}", response=FlashItemDetailOut, summary="秒杀商品详情（公开）")
def item(request, item_id: int):
    now = timezone.now()
    found = selectors_flash.item_detail(item_id, now)
    if found is None:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_FOUND, _("秒杀商品不存在"), {"item_id": item_id}, status=404)
    slot, view = found
    return {"now": now, "slot": {**asdict(slot), "items": []}, "item": asdict(view)}


@router.post(
    "/{sale_id}/remind",
    response={201: FlashReminderOut},
    auth=member_auth,
    summary="开抢提醒：提醒我",
    description="开抢前发站内提醒；重复设置只保留一个。场次不存在 404 `activity_not_found`，已结束 409 `activity_ended`。",
)
def remind(request, sale_id: int):
    flash.set_reminder(user=current_user(request), sale_id=sale_id)
    return Status(201, {"sale_id": sale_id, "reminded": True})


@router.delete("/{sale_id}/remind", response=FlashReminderOut, auth=member_auth, summary="取消开抢提醒")
def forget(request, sale_id: int):
    flash.cancel_reminder(user=current_user(request), sale_id=sale_id)
    return {"sale_id": sale_id, "reminded": False}
