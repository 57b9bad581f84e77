"""Flash sale orders for members: POST /api/v1/orders/flash."""

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
from .services.activities.flash import place_flash_order

router = Router(tags=["秒杀订单 flash orders"], auth=member_auth)


class FlashOrderIn(InputSchema):
    item_id: int = Field(description="秒杀商品 id（GET /flash-sales 的 items[].id）")
    quantity: int = Field(1, ge=1, le=99, description="件数（不超过每单限购与每人限购）")
    address: AddressIn | None = Field(None, description="收货地址（逐项填写）；与 address_id 二选一")
    address_id: int | None = Field(None, description="我的地址簿中的地址 id；与 address 二选一")
    note: str = Field("", max_length=200)
    points: int = Field(0, ge=0, description="使用多少积分（仅当该场秒杀允许使用积分）；0 不用")

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        return self


def _address(user, payload: FlashOrderIn) -> dict:
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
    summary="秒杀下单（支持 Idempotency-Key 请求头）",
    description=(
        "按秒杀价购买一件秒杀商品（订单只含该商品），不叠加优惠券、满减与会员价；积分仅在该场允许时可用。"
        "超时未付款（该场的支付时限，默认 5 分钟）自动取消，名额回到秒杀库存。"
        "已抢光返回 409 `activity_sold_out`，超过每单或每人限购 409 `activity_limit_reached`（detail 给出限购数），"
        "未开始 409 `activity_not_started`，已结束 409 `activity_ended`，已暂停 409 `activity_paused`，"
        "秒杀商品不存在 404 `activity_not_found`，地址簿中没有该地址 404 `address_not_found`。"
    ),
)
def place_order(request, payload: FlashOrderIn):
    user = current_user(request)

    def create() -> tuple[int, dict]:
        order = place_flash_order(
            user=user,
            item_id=payload.item_id,
            quantity=payload.quantity,
            address=_address(user, payload),
            points=payload.points,
            note=payload.note,
        )
        return 201, OrderOut.model_validate(order_dict(_detail(order.pk))).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = create()
    else:
        status, body = run_once(user=user, scope="orders.flash", key=key, payload=payload.dict(), handler=create)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
