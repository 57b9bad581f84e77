"""Buying a bargain (砍价): /api/v1/orders/bargain — the starter orders the bargain's SKU at the price
reached; the order is then paid like any order (POST /orders/{order_id}/pay)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router, Status
from pydantic import Field, model_validator

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses.errors import AddressCode, AddressError
from fenxiao.common.validation import InputSchema

from .api import _detail, order_dict
from .schemas import AddressIn, OrderOut
from .services.activities import bargains

router = Router(tags=["订单 orders"], auth=member_auth)


class BargainOrderIn(InputSchema):
    bargain_id: int = Field(description="我发起的砍价 id")
    address: AddressIn | None = Field(None, description="收货地址（逐项填写）；与 address_id 二选一")
    address_id: int | None = Field(None, description="我的地址簿中的地址 id；与 address 二选一")
    note: str = ""

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        return self


def _address(user, payload: BargainOrderIn) -> dict:
    """The typed-in address, or a copy of one of the buyer's own address book."""
    if payload.address is not None:
        return payload.address.dict()
    chosen = address_selectors.address_of(user, payload.address_id)
    if chosen is None:
        raise AddressError(AddressCode.ADDRESS_NOT_FOUND, _("收货地址不存在"), {"address_id": payload.address_id}, status=404)
    return chosen.for_order()


@router.post(
    "",
    response={201: OrderOut},
    summary="砍价下单（发起人按砍到的价格购买一件）",
    description=(
        "仅发起人可下单，一件，按当前价；不用优惠券、满减与会员价，不用积分。"
        "已砍到底价可下单；活动允许“未砍到底可购买”时，砍价中或已结束的砍价也可按已砍到的价格下单（砍价随之结束）。"
        "每个砍价只能有一个订单：已下单 409 `bargain_ended`；未砍到底价 409 `bargain_not_at_floor`；"
        "砍价不存在或不是我的 404 `bargain_not_found`。订单未付款取消后可再次下单。随后按普通订单付款。"
    ),
)
def place_bargain_order(request, payload: BargainOrderIn):
    user = current_user(request)
    order = bargains.place_bargain_order(
        user=user, bargain_id=payload.bargain_id, address=_address(user, payload), note=payload.note
    )
    return Status(201, order_dict(_detail(order.pk)))
