"""The points mall for members: /api/v1/points-mall — what is on offer, and exchanging a coupon for
points. A product is exchanged by placing an order: POST /api/v1/orders/points-mall."""

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from fenxiao.accounts.auth import current_user, member_auth

from . import selectors_mall
from .api import coupon_info
from .schemas import CouponInfoOut
from .selectors_mall import MallEntry
from .services import mall

router = Router(tags=["积分商城 points mall"], auth=member_auth)


class MallItemOut(Schema):
    id: int
    name: str
    kind: str = Field(description="coupon 优惠券（直接兑换）/ product 商品（下单兑换：POST /orders/points-mall）")
    points_price: int = Field(description="所需积分")
    cash_fen: int = Field(description="另付现金（分），仅商品；0 为纯积分")
    coupon: CouponInfoOut | None = Field(description="兑换的优惠券（kind 为 coupon）")
    sku_id: int | None = Field(description="兑换的商品规格（kind 为 product）")
    product_id: int | None
    product_name: str | None
    sku_spec: str | None
    remaining: int = Field(description="还可兑换多少")
    per_person_limit: int
    exchanged: int = Field(description="我已兑换的次数（已退回的不算）")
    can_exchange: bool
    ends_at: datetime | None


class MallExchangeOut(Schema):
    id: int
    item_id: int
    points: int
    reference: str = Field(description="积分扣减与发券的单据号")
    status: str = Field(description="done 已兑换 / returned 已退回")
    created_at: datetime


def entry_dict(entry: MallEntry) -> dict:
    item = entry.item
    sku = item.sku if item.sku_id else None
    return {
        "id": item.pk,
        "name": item.name,
        "kind": item.kind,
        "points_price": item.points_price,
        "cash_fen": item.cash_fen,
        "coupon": coupon_info(item.coupon) if item.coupon is not None else None,
        "sku_id": item.sku_id,
        "product_id": sku.product_id if sku else None,
        "product_name": sku.product.name if sku else None,
        "sku_spec": sku.spec if sku else None,
        "remaining": entry.remaining,
        "per_person_limit": item.per_person_limit,
        "exchanged": entry.exchanged,
        "can_exchange": entry.can_exchange,
        "ends_at": item.ends_at,
    }


@router.get("", response=list[MallItemOut], summary="积分商城：可兑换的优惠券与商品")
def items(request):
    return [entry_dict(entry) for entry in selectors_mall.mall_entries(current_user(request))]


@router.post(
    "/{item_id}/exchange",
    response={201: MallExchangeOut},
    summary="积分兑换优惠券（每人限兑、兑完即止）",
    description=(
        "扣除积分并发放优惠券，全部成功或全部不做。积分不足返回 409 `not_enough_points`（不扣积分），"
        "已兑完 409 `mall_sold_out`，超过每人限兑 409 `mall_limit`，不在兑换期或已暂停、或是商品（须下单兑换）"
        "400 `mall_item_unavailable`，不存在 404 `mall_item_not_found`。"
    ),
)
def exchange(request, item_id: int):
    done = mall.exchange_coupon(user=current_user(request), item_id=item_id)
    return Status(
        201,
        {
            "id": done.pk,
            "item_id": done.item_id,
            "points": done.points,
            "reference": done.reference,
            "status": done.status,
            "created_at": done.created_at,
        },
    )
