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
    coupon_id: int | None = Field(
        None, description="使用我的哪张优惠券（试算返回的 coupons[].user_coupon_id）；不填则自动选最优的可用券"
    )
    use_coupon: bool = Field(True, description="false：不使用优惠券（此时不能填 coupon_id）")
    points: int = Field(0, ge=0, description="使用多少积分（不超过可用积分与本单上限，见试算的 points）；0 不用")
    use_all_points: bool = Field(False, description="true：按本单上限尽量多用积分（此时 points 须为 0）")

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        if self.coupon_id is not None and not self.use_coupon:
            raise ValueError("use_coupon 为 false 时不能填 coupon_id (coupon_id needs use_coupon)")
        if self.use_all_points and self.points:
            raise ValueError("points 与 use_all_points 只能用一个 (at most one of points and use_all_points)")
        return self


class QuoteIn(InputSchema):
    items: list[ItemIn]
    address_id: int | None = Field(None, description="按我的地址簿中这个地址所在省份计算运费与可配送；与 province 二选一")
    province: str | None = Field(None, max_length=20, description="按这个省份（如 浙江省）计算运费与可配送；与 address_id 二选一")
    coupon_id: int | None = Field(None, description="试算使用我的哪张优惠券（user_coupon_id）；不填则自动选最优的可用券")
    use_coupon: bool = Field(True, description="false：不使用优惠券（此时不能填 coupon_id）")
    points: int = Field(0, ge=0, description="使用多少积分（不超过可用积分与本单上限，见试算的 points）；0 不用")
    use_all_points: bool = Field(False, description="true：按本单上限尽量多用积分（此时 points 须为 0）")

    @model_validator(mode="after")
    def _choices(self):
        if self.address_id is not None and self.province is not None:
            raise ValueError("address_id 与 province 只能填一个 (at most one of address_id and province)")
        if self.coupon_id is not None and not self.use_coupon:
            raise ValueError("use_coupon 为 false 时不能填 coupon_id (coupon_id needs use_coupon)")
        if self.use_all_points and self.points:
            raise ValueError("points 与 use_all_points 只能用一个 (at most one of points and use_all_points)")
        return self


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
    stage: str = Field("", description="价格环节：timed 限时折扣、tier 阶梯价、full_reduction 满减、coupon 优惠券")
    source_id: int | None = Field(None, description="限时折扣、阶梯价、满减活动或优惠券的编号")
    label: str
    amount_fen: int


class QuoteAdjustmentOut(Schema):
    stage: str
    source_id: int | None
    label: str
    amount_fen: int


class QuoteLineOut(Schema):
    sku_id: int
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    discount_fen: int
    paid_fen: int
    adjustments: list[QuoteAdjustmentOut]


class QuoteCouponOut(Schema):
    user_coupon_id: int
    coupon_id: int
    name: str
    amount_fen: int


class QuoteCouponOptionOut(Schema):
    user_coupon_id: int
    coupon_id: int
    name: str
    valid_until: datetime
    discount_fen: int = Field(description="用在这个订单上能减多少（不可用时为 0）")
    usable: bool
    code: str = Field(description="不可用的原因代码（如 coupon_threshold_not_met），可用时为空")
    reason: str = Field(description="不可用的原因说明，可用时为空")


class QuotePointsOut(Schema):
    balance: int = Field(description="可用积分")
    max_points: int = Field(description="本单最多可用多少积分")
    max_fen: int = Field(description="本单积分最多抵多少（分）")
    ratio: int = Field(description="多少积分抵 1 元")
    used: int = Field(description="本单使用的积分")
    fen: int = Field(description="本单积分抵扣的金额（分）")
    to_earn: int = Field(description="本单可得积分（确认收货且售后期结束后到账）")


class QuoteGiftOut(Schema):
    sku_id: int
    name: str
    spec: str
    quantity: int
    rule_id: int = Field(description="送出赠品的满减送活动")
    label: str
    out_of_stock: bool | None = Field(None, description="下单时赠品已赠完（不随订单送出）；试算时不填")


class QuoteGiftCouponOut(Schema):
    coupon_id: int
    name: str
    rule_id: int = Field(description="赠券的满减送活动")


class OrderQuoteOut(Schema):
    goods_fen: int
    discounts: list[DiscountOut]
    discount_fen: int
    shipping_fen: int
    shipping_free_by: str = Field(description="运费为 0 的原因：full_reduction 满减包邮、template 运费模板包邮；否则为空")
    total_fen: int
    coupon: QuoteCouponOut | None = Field(description="本单使用的优惠券")
    lines: list[QuoteLineOut]
    coupons: list[QuoteCouponOptionOut] = Field(description="我持有的优惠券：能否用于本单、能减多少或为什么不能用")
    undeliverable_product_ids: list[int] = Field(description="不配送至所选地区的商品；含有这些商品时不能下单")
    points: QuotePointsOut | None = Field(None, description="积分：可用多少、本单上限、本单使用与可得；未登录时为空")
    gifts: list[QuoteGiftOut] = Field(default_factory=list, description="满减送赠品（0 元，赠完即止）")
    gift_coupons: list[QuoteGiftCouponOut] = Field(default_factory=list, description="付款后赠送的优惠券")


class CartOut(Schema):
    lines: list[CartLineOut]
    quote: OrderQuoteOut | None


class OrderLineAdjustmentOut(Schema):
    stage: str
    source_id: int | None
    label: str
    amount_fen: int


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
    is_gift: bool = Field(False, description="满减送赠品（0 元，不能申请售后）")
    bundle_sku_id: int | None = Field(None, description="所属套装的 SKU：同一套装的各组成行共用；普通商品为空")
    bundle_name: str = Field("", description="所属套装的名称")
    bundle_quantity: int | None = Field(None, description="购买的套装份数")
    adjustments: list[OrderLineAdjustmentOut] = Field(default_factory=list, description="各价格环节在这一行减去的金额")


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


class AfterSaleReturnAddressOut(Schema):
    receiver: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


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
    return_address: AfterSaleReturnAddressOut | None = Field(
        None, description="供应商发货的商品退回供应商的退货地址；平台发货的为空"
    )
    created_at: datetime
    photos: list[AfterSalePhotoOut] = []


class OrderParcelEventOut(Schema):
    occurred_at: datetime
    state: str
    description: str
    location: str


class OrderShipmentOut(Schema):
    """One parcel of an order, as its buyer sees it (who ships it, never at what cost)."""

    id: int
    shipper: str = Field(..., description="platform 平台发货 / supplier 供应商发货")
    shipper_label: str
    status: str
    status_label: str
    carrier_code: str = Field("", description="快递公司编码（发货后）")
    tracking_company: str
    tracking_number: str
    tracking_url: str = Field("", description="到快递公司查询物流的链接")
    shipped_at: datetime | None
    delivered_at: datetime | None = Field(None, description="物流显示签收的时间")
    received_at: datetime | None
    completed_at: datetime | None
    line_ids: list[int] = Field(default_factory=list, description="这个包裹里的订单行")
    tracking_events: list[OrderParcelEventOut] = Field(default_factory=list, description="物流轨迹（最新在前）")


class OperatorOrderShipmentOut(OrderShipmentOut):
    route: str = Field(..., description="main 平台仓；supplier:<id> 供应商代发")
    supplier_id: int | None
    supplier_name: str = ""
    ship_by: datetime | None = Field(None, description="最晚发货时间（付款后 48 小时，可配置）")
    overdue: bool = Field(False, description="待发货且已过最晚发货时间")
    cancelled_at: datetime | None = None


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
    discounts: list[DiscountOut] = Field(default_factory=list, description="各环节的优惠（同 price_breakdown.discounts）")
    coupon: QuoteCouponOut | None = Field(None, description="本单使用的优惠券")
    shipping_free_by: str = ""
    points_used: int = Field(0, description="本单使用的积分")
    points_to_earn: int = Field(0, description="本单可得积分（确认收货且售后期结束后到账）")
    activity_kind: str = Field("", description="营销活动：flash 秒杀 / group 拼团 / bargain 砍价；空为普通订单")
    activity_id: int | None = Field(None, description="活动编号")
    hold: str = Field("", description="暂缓：group 表示等待成团，成团后发货")
    pays_commission: bool = Field(True, description="本单是否计算分销佣金")
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
    shipments: list[OrderShipmentOut] = Field(default_factory=list, description="按发货方拆分的包裹：平台发货、各供应商发货")
    events: list[OrderEventOut] = []
    aftersales: list[AfterSaleOut] = []


class OperatorOrderDetailOut(OrderOut):
    # the operator's view of each shipment, a subclass: a narrower field pydantic allows, mypy does not (list is invariant)
    shipments: list[OperatorOrderShipmentOut] = Field(  # type: ignore[assignment]
        default_factory=list, description="发货单：发货方、供应商、状态、最晚发货时间"
    )


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
