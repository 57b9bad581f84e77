"""拼团 orders: /api/v1/orders/group — open a group or join one by placing an order at the group
price; paying it (POST /api/v1/orders/{id}/pay) opens the group or takes the seat."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router
from pydantic import Field, model_validator

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses.errors import AddressCode, AddressError
from fenxiao.common.validation import InputSchema

from .api import _detail, order_dict
from .idempotency import run_once
from .schemas import AddressIn, OrderOut
from .services.activities import groups as group_orders

router = Router(tags=["拼团订单 group orders"], auth=member_auth)


class GroupOrderIn(InputSchema):
    item_id: int = Field(description="拼团商品 id（GET /group-buys/{activity_id} 的 items[].id）")
    group_id: int | None = Field(None, description="要参加的团；为空表示自己开团")
    quantity: int = Field(1, ge=1, le=999, description="数量，不超过活动的每单限购")
    address: AddressIn | None = Field(None, description="收货地址（逐项填写）；与 address_id 二选一")
    address_id: int | None = Field(None, description="我的地址簿中的地址 id；与 address 二选一")
    note: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        return self


def _address(user, payload: GroupOrderIn) -> dict:
    """The typed-in address, or one of the buyer's own address book (somebody else's id is not found)."""
    if payload.address is not None:
        return payload.address.dict()
    chosen = address_selectors.address_of(user, payload.address_id)
    if chosen is None:
        raise AddressError(AddressCode.ADDRESS_NOT_FOUND, _("收货地址不存在"), {"address_id": payload.address_id}, status=404)
    return chosen.for_order()


@router.post(
    "",
    response={201: OrderOut},
    summary="拼团下单：开团或参团（支持 Idempotency-Key 请求头）",
    description=(
        "按拼团价下单，从平台仓保留库存；付款后开团（group_id 为空）或参团。成团前订单不能发货、不能取消、不能售后"
        "（409 `order_on_hold`）。付款时团已满、已结束或已在团中：按活动设置自动开新团或全额退款。"
        "活动未开始 409 `activity_not_started`，已结束或暂停 409 `activity_ended`，商品不存在 404 `activity_not_found`；"
        "团不存在 404 `group_not_found`，团已结束 409 `group_ended`，团已满 409 `group_full`（活动设为自动开新团时不拒绝），"
        "已在团中 409 `already_in_group`，超过每单限购 409 `activity_limit_reached`。"
    ),
)
def place_group_order(request, payload: GroupOrderIn):
    user = current_user(request)

    def create() -> tuple[int, dict]:
        order = group_orders.place_group_order(
            user=user,
            item_id=payload.item_id,
            group_id=payload.group_id,
            quantity=payload.quantity,
            address=_address(user, payload),
            note=payload.note,
        )
        return 201, OrderOut.model_validate(order_dict(_detail(order.pk))).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = create()
    else:
        status, body = run_once(user=user, scope="orders.group", key=key, payload=payload.dict(), handler=create)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
