"""Group buys (拼团) for everyone: /api/v1/group-buys — an activity with its products and the groups a
visitor may join, and one group's page (members masked). Opening or joining a group is placing an
order: POST /api/v1/orders/group."""

from dataclasses import asdict
from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from . import selectors_groups
from .errors import PromotionCode, PromotionError

router = Router(tags=["拼团 group buys"])


class GroupBuyItemOut(Schema):
    id: int = Field(description="拼团商品 id（下单时的 item_id）")
    sku_id: int
    product_id: int
    product_name: str
    sku_spec: str
    price_fen: int = Field(description="拼团价（分）")
    retail_fen: int = Field(description="单独购买价（分）")


class GroupMemberOut(Schema):
    nickname: str = Field(description="昵称（脱敏）")
    avatar_text: str = Field(description="头像占位字")
    is_leader: bool
    status: str = Field(description="joined 已参团 / refunded 已退款")
    joined_at: datetime


class GroupOut(Schema):
    id: int
    activity_id: int
    status: str = Field(description="forming 拼团中 / succeeded 已成团 / failed 未成团")
    status_label: str
    size: int = Field(description="成团人数")
    members_count: int = Field(description="已参团人数")
    remaining: int = Field(description="还差几人（不在拼团中时为 0）")
    expires_at: datetime = Field(description="截止时间")
    is_virtual: bool = Field(description="到期模拟成团")
    leader_nickname: str = Field(description="团长昵称（脱敏）")
    succeeded_at: datetime | None
    failed_at: datetime | None
    members: list[GroupMemberOut] = Field(description="团员（仅团详情）")


class GroupPageOut(GroupOut):
    activity_name: str
    activity_phase: str = Field(description="upcoming 未开始 / running 进行中 / paused 已暂停 / ended 已结束")
    items: list[GroupBuyItemOut]


class GroupBuyOut(Schema):
    id: int
    name: str
    phase: str = Field(description="upcoming 未开始 / running 进行中 / paused 已暂停 / ended 已结束")
    starts_at: datetime
    ends_at: datetime
    group_size: int = Field(description="成团人数")
    hours: int = Field(description="成团时限（小时）")
    when_full: str = Field(description="付款时团已满：new_group 自动开新团 / refuse 全额退款")
    per_order_limit: int
    allow_points: bool
    share_text: str
    items: list[GroupBuyItemOut]
    open_groups: list[GroupOut] = Field(description="可参加的团（拼团中、未满），最早截止的在前")


@router.get(
    "/{activity_id}",
    response=GroupBuyOut,
    summary="拼团活动：商品、拼团价与可参加的团",
    description="活动不存在返回 404 `activity_not_found`。",
)
def group_buy(request, activity_id: int):
    view = selectors_groups.activity_detail(activity_id, user=getattr(request, "user", None))
    if view is None:
        raise PromotionError(PromotionCode.ACTIVITY_NOT_FOUND, _("活动不存在"), {"id": activity_id}, status=404)
    return asdict(view)


@router.get(
    "/groups/{group_id}",
    response=GroupPageOut,
    summary="团详情：团员（脱敏）、还差几人、截止时间与结果",
    description="团不存在返回 404 `group_not_found`。",
)
def group_page(request, group_id: int):
    view = selectors_groups.group_page(group_id)
    if view is None:
        raise PromotionError(PromotionCode.GROUP_NOT_FOUND, _("团不存在"), {"group_id": group_id}, status=404)
    return asdict(view)
