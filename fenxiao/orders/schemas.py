from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, model_validator

from fenxiao.common.validation import InputSchema, StrictIn


class ItemIn(InputSchema):
    sku_id: int
    quantity: int = Field(1, ge=1, le=999)


class AddressIn(InputSchema):
    receiver: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


class PlaceOrderIn(InputSchema):
    items: list[ItemIn] = Field(default_factory=list, description="要购买的 SKU；为空且 from_cart 为真时取购物车")
    from_cart: bool = False
    address: AddressIn | None = Field(None, description="收货地址（逐项填写）；与 address_id 二选一")
    address_id: int | None = Field(None, description="我的地址簿中的地址 id（GET /addresses）；与 address 二选一")
    note: str = ""

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        return self


class QuoteIn(InputSchema):
    items: list[ItemIn]


class CartItemIn(InputSchema):
    sku_id: int
    quantity: int = Field(1, ge=1, le=999)


class QuantityIn(InputSchema):
    quantity: int = Field(..., ge=0, le=999)


class CartLineOut(Schema):
    sku_id: int
    product_id: int
    product_name: str
    spec: str
    unit_price_fen: int
    quantity: int
    line_total_fen: int
    purchasable: bool = Field(
        description="false when the product went off the shelf: left out of the quote and of an order from the cart"
    )


class DiscountOut(Schema):
    code: str
    label: str
    amount_fen: int


class OrderQuoteOut(Schema):
    goods_fen: int
    discounts: list[DiscountOut]
    shipping_fen: int
    total_fen: int


class CartOut(Schema):
    lines: list[CartLineOut]
    quote: OrderQuoteOut | None


class OrderLineOut(Schema):
    id: int
    sku_id: int
    product_id: int
    product_name: str
    sku_spec: str
    unit_price_fen: int
    quantity: int
    line_total_fen: int
    discount_fen: int
    paid_fen: int
    refunded_fen: int


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    created_at: datetime


class AfterSalePhotoOut(Schema):
    id: int
    position: int
    width: int
    height: int
    url: str = Field(..., description="照片地址（需登录：下单的买家或有售后查看权限的员工）")


class AfterSaleOut(Schema):
    id: int
    line_id: int
    kind: str
    status: str
    status_label: str
    amount_fen: int
    quantity: int
    reason: str
    reject_reason: str
    return_tracking_number: str
    created_at: datetime
    photos: list[AfterSalePhotoOut] = []


class OrderOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    distributor_code: str | None
    is_self_purchase: bool
    goods_fen: int
    discount_fen: int
    shipping_fen: int
    total_fen: int
    paid_fen: int
    refunded_fen: int
    price_breakdown: dict
    receiver: str
    receiver_phone: str
    address: str
    note: str
    payment_provider: str
    tracking_company: str
    tracking_number: str
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    shipped_at: datetime | None
    received_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    lines: list[OrderLineOut]
    events: list[OrderEventOut] = []
    aftersales: list[AfterSaleOut] = []


class ShopOrderOut(Schema):
    """An order of a distributor's shop, as the distributor sees it: the buyer masked."""

    id: int
    number: str
    status: str
    status_label: str
    buyer: str
    buyer_phone: str
    total_fen: int
    paid_fen: int
    refunded_fen: int
    item_count: int
    is_self_purchase: bool
    created_at: datetime


class PayIn(InputSchema):
    provider: str = Field("dev", description="dev（开发环境即时支付）或 wechatpay")
    openid: str = Field("", description="jsapi：付款人在该 AppID 下的 openid")
    trade_type: Literal["jsapi", "h5", "native"] = Field(
        "jsapi",
        description="wechatpay 的支付方式：jsapi（微信内，需 openid）、h5（手机浏览器，返回 h5_url）、native（电脑扫码，返回 code_url）",
    )


class PayOut(Schema):
    order: OrderOut
    provider: str
    payment_id: int
    jsapi: dict | None = None
    trade_type: str = Field("", description="wechatpay 的支付方式（dev 为空）")
    h5_url: str = Field("", description="h5：跳转到微信支付的链接（5 分钟内有效，可追加 &redirect_url=）")
    code_url: str = Field("", description="native：付款二维码的内容")


class OrderReasonIn(StrictIn):
    reason: str = ""


class ShipIn(StrictIn):
    tracking_company: str
    tracking_number: str


class AfterSaleIn(InputSchema):
    kind: str = Field(..., description="refund_only 仅退款 / return_refund 退货退款")
    amount_fen: int
    quantity: int = 0
    reason: str


class OperatorRefundIn(StrictIn):
    amount_fen: int
    reason: str


class ReturnIn(InputSchema):
    tracking_number: str


class OperatorOrderOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    buyer_phone: str
    distributor_code: str | None
    total_fen: int
    paid_fen: int
    refunded_fen: int
    created_at: datetime
    paid_at: datetime | None
