from dataclasses import asdict

from django.db.models import prefetch_related_objects
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema, Status, UploadedFile
from pydantic import Field, model_validator

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm
from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses.errors import AddressCode, AddressError
from fenxiao.common.phone import mask_name, mask_phone
from fenxiao.common.ratelimit import client_address
from fenxiao.common.validation import InputSchema
from fenxiao.distribution.selectors import require_distributor
from fenxiao.payments import services as payments
from fenxiao.promotions import pricing
from fenxiao.shop.purchase import purchase_info

from . import selectors, services
from .errors import OrderCode, OrderError
from .idempotency import run_once
from .schemas import (
    AddressIn,
    AfterSaleIn,
    AfterSaleOut,
    CartItemIn,
    CartOut,
    OperatorOrderDetailOut,
    OperatorOrderOut,
    OperatorRefundIn,
    OrderOut,
    OrderQuoteOut,
    OrderReasonIn,
    PayIn,
    PayOut,
    PlaceOrderIn,
    QuantityIn,
    QuoteIn,
    ReturnIn,
    ShipIn,
    ShopOrderOut,
)

router = Router(tags=["订单 orders"], auth=member_auth)
cart_router = Router(tags=["购物车 cart"], auth=member_auth)
operator_router = Router(tags=["运营：订单 operator"], auth=member_auth)


def quote_dict(quote) -> dict:
    """A quote as the API answers it: the breakdown the order would keep, the buyer's coupons for it
    (usable or why not), the points (what may be used, what is used and earned; none for a guest) and
    the products that cannot be delivered to the province asked about."""
    breakdown = quote.breakdown()
    offer = breakdown["points_offer"]
    return {
        **breakdown,
        "coupons": [asdict(option) for option in quote.coupon_options],
        "undeliverable_product_ids": list(quote.undeliverable_product_ids),
        "points": (
            {
                **offer,
                "used": breakdown["points_used"],
                "fen": breakdown["points_fen"],
                "to_earn": breakdown["points_to_earn"],
            }
            if offer is not None
            else None
        ),
    }


def coupon_choice(coupon_id: int | None, use_coupon: bool):
    """What the pricing takes: none, the held coupon asked for, or the best usable one."""
    if not use_coupon:
        return None
    return coupon_id if coupon_id is not None else pricing.AUTO


def points_choice(points: int, use_all_points: bool):
    """What the pricing takes: as many points as the order allows, or the number asked for."""
    return pricing.ALL_POINTS if use_all_points else points


def order_dict(order, *, detail: bool = True) -> dict:
    lines = list(order.lines.all())
    prefetch_related_objects(lines, "adjustments")  # nothing to read when the caller prefetched them
    breakdown = order.price_breakdown or {}
    data = {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "status_label": order.get_status_display(),
        "distributor_code": order.distributor.code if order.distributor_id else None,
        "is_self_purchase": order.is_self_purchase,
        "goods_fen": order.goods_fen,
        "discount_fen": order.discount_fen,
        "shipping_fen": order.shipping_fen,
        "total_fen": order.total_fen,
        "paid_fen": order.paid_fen,
        "refunded_fen": order.refunded_fen,
        "price_breakdown": order.price_breakdown,
        "discounts": breakdown.get("discounts", []),
        "coupon": breakdown.get("coupon"),
        "shipping_free_by": breakdown.get("shipping_free_by", ""),
        "points_used": order.points_used,
        "points_to_earn": breakdown.get("points_to_earn", 0),
        "activity_kind": order.activity_kind,
        "activity_id": order.activity_id,
        "hold": order.hold,
        "pays_commission": order.pays_commission,
        "receiver": order.receiver,
        "receiver_phone": order.receiver_phone,
        "address": f"{order.province}{order.city}{order.district}{order.address_detail}",
        "note": order.note,
        "payment_provider": order.payment_provider,
        "tracking_company": order.tracking_company,
        "tracking_number": order.tracking_number,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
        "shipped_at": order.shipped_at,
        "received_at": order.received_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "lines": lines,
        "shipments": [shipment_dict(s) for s in selectors.order_shipments(order, with_tracking=detail)],
        "events": list(order.events.all()) if detail else [],
        "aftersales": [aftersale_dict(a) for a in order.aftersales.all()] if detail else [],
    }
    return data


def shipment_dict(shipment, *, operator: bool = False) -> dict:
    """A parcel of the order: who ships it (the buyer is told platform or supplier, not which
    supplier), its carrier, number, tracking link and journey."""
    carrier = shipment.carrier if shipment.carrier_id else None
    data = {
        "id": shipment.pk,
        "shipper": "platform" if shipment.supplier_id is None else "supplier",
        "shipper_label": _("平台发货") if shipment.supplier_id is None else _("供应商发货"),
        "status": shipment.status,
        "status_label": shipment.get_status_display(),
        "carrier_code": carrier.code if carrier else "",
        "tracking_company": shipment.tracking_company,
        "tracking_number": shipment.tracking_number,
        "tracking_url": carrier.tracking_url(shipment.tracking_number) if carrier and shipment.tracking_number else "",
        "shipped_at": shipment.shipped_at,
        "delivered_at": shipment.delivered_at,
        "received_at": shipment.received_at,
        "completed_at": shipment.completed_at,
        "line_ids": shipment.line_ids,
        "tracking_events": [
            {"occurred_at": e.occurred_at, "state": e.state, "description": e.description, "location": e.location}
            for e in shipment.tracking_events
        ],
    }
    if operator:
        data.update(
            {
                "route": shipment.route,
                "supplier_id": shipment.supplier_id,
                "supplier_name": shipment.supplier.name if shipment.supplier_id else "",
                "ship_by": shipment.ship_by,
                "overdue": shipment.overdue,
                "cancelled_at": shipment.cancelled_at,
            }
        )
    return data


def operator_order_dict(order) -> dict:
    data = order_dict(order)
    data["shipments"] = [shipment_dict(s, operator=True) for s in selectors.order_shipments(order)]
    return data


def aftersale_dict(a) -> dict:
    return {
        "id": a.pk,
        "line_id": a.line_id,
        "kind": a.kind,
        "status": a.status,
        "status_label": a.get_status_display(),
        "amount_fen": a.amount_fen,
        "quantity": a.quantity,
        "reason": a.reason,
        "reject_reason": a.reject_reason,
        "return_tracking_number": a.return_tracking_number,
        "return_address": services.return_address(a.line) if a.kind == "return_refund" else None,
        "created_at": a.created_at,
        "photos": [photo_dict(photo) for photo in a.photos.all()],
    }


def photo_dict(photo) -> dict:
    return {
        "id": photo.pk,
        "position": photo.position,
        "width": photo.width,
        "height": photo.height,
        "url": reverse("web:aftersale_photo", args=[photo.pk]),
    }


def _detail(order_id: int, user=None):
    order = selectors.order_detail(order_id, user=user)
    if order is None:
        raise OrderError(OrderCode.ORDER_NOT_FOUND, "订单不存在", {"order_id": order_id}, status=404)
    return order


# --- cart -------------------------------------------------------------------------------------


def _buyable_lines(user) -> tuple[list, set[int]]:
    """The cart's lines and the SKU ids among them that may still be bought: a line whose product went
    off the shelf stays in the cart, marked, and is left out of the quote and of an order from the cart."""
    lines = list(selectors.cart_lines(user))
    infos = purchase_info(line.sku for line in lines)
    return lines, {sku_id for sku_id, info in infos.items() if info.is_purchasable}


def _province_of(address) -> str | None:
    return address.for_order()["province"] if address is not None else None


def _cart(user) -> dict:
    lines, buyable = _buyable_lines(user)
    quote = None
    items = [(line.sku_id, line.quantity) for line in lines if line.sku_id in buyable]
    if items:
        # Shipping as it would be to the buyer's default address (the base rates without one).
        province = _province_of(address_selectors.default_address(user))
        _skus, q = services.quote_items(user=user, items=items, province=province)
        quote = quote_dict(q)
    return {
        "lines": [
            {
                "sku_id": line.sku_id,
                "product_id": line.sku.product_id,
                "product_name": line.sku.product.name,
                "spec": line.sku.spec,
                "unit_price_fen": line.sku.retail_fen,
                "quantity": line.quantity,
                "line_total_fen": line.sku.retail_fen * line.quantity,
                "purchasable": line.sku_id in buyable,
            }
            for line in lines
        ],
        "quote": quote,
    }


@cart_router.get("", response=CartOut, summary="我的购物车")
def get_cart(request):
    return _cart(current_user(request))


@cart_router.post("/items", response=CartOut, summary="加入购物车")
def add_item(request, payload: CartItemIn):
    user = current_user(request)
    services.add_to_cart(user=user, sku_id=payload.sku_id, quantity=payload.quantity)
    return _cart(user)


@cart_router.put("/items/{sku_id}", response=CartOut, summary="修改数量（0 为删除）")
def set_item(request, sku_id: int, payload: QuantityIn):
    user = current_user(request)
    services.set_cart_quantity(user=user, sku_id=sku_id, quantity=payload.quantity)
    return _cart(user)


@cart_router.delete("/items/{sku_id}", response=CartOut, summary="删除购物车商品")
def delete_item(request, sku_id: int):
    user = current_user(request)
    services.set_cart_quantity(user=user, sku_id=sku_id, quantity=0)
    return _cart(user)


# --- orders -----------------------------------------------------------------------------------


@router.post(
    "/quote",
    response=OrderQuoteOut,
    summary="试算价格（含优惠明细、可用优惠券与运费）",
    description=(
        "依次计算限时折扣、阶梯价、满减送与一张优惠券，再按收货省份（address_id 或 province）计算运费。"
        "coupon_id 指定用哪张券；不填自动选最优的可用券；use_coupon=false 不用券。"
        "指定的券不能用于本单时返回 400（`coupon_not_started`、`coupon_out_of_scope`、"
        "`coupon_threshold_not_met`、`coupon_not_usable`，message 说明原因），"
        "券不存在、已使用或已过期返回 409 `coupon_unavailable`。"
        "积分：points 指定用多少，use_all_points=true 按本单上限尽量多用（二者只能用一个，否则 422 `invalid_input`）；"
        "超过可用积分返回 409 `not_enough_points`，超过本单上限返回 422 `points_over_limit`。"
        "返回的 points 给出可用积分、本单上限、本单使用与可得积分，gifts 与 gift_coupons 是满减送的赠品与赠券。"
    ),
)
def quote(request, payload: QuoteIn):
    user = current_user(request)
    province = payload.province
    if payload.address_id is not None:
        chosen = address_selectors.address_of(user, payload.address_id)
        if chosen is None:
            raise AddressError(AddressCode.ADDRESS_NOT_FOUND, _("收货地址不存在"), {"address_id": payload.address_id}, status=404)
        province = _province_of(chosen)
    _skus, q = services.quote_items(
        user=user,
        items=[(i.sku_id, i.quantity) for i in payload.items],
        province=province,
        coupon=coupon_choice(payload.coupon_id, payload.use_coupon),
        points=points_choice(payload.points, payload.use_all_points),
    )
    return quote_dict(q)


def _order_address(user, payload: "PlaceOrderIn | MallOrderIn") -> dict:
    """The address the order copies: one of the buyer's own address book (`address_id`), or the one
    typed in the body (`address`); the schema lets exactly one of them through. Somebody else's id is
    `address_not_found`, like an id that does not exist."""
    if payload.address is not None:
        return payload.address.dict()
    chosen = address_selectors.address_of(user, payload.address_id)
    if chosen is None:
        raise AddressError(AddressCode.ADDRESS_NOT_FOUND, _("收货地址不存在"), {"address_id": payload.address_id}, status=404)
    return chosen.for_order()


@router.post(
    "",
    response={201: OrderOut},
    summary="下单（支持 Idempotency-Key 请求头）",
    description=(
        "收货地址：address_id 取我的地址簿中的一个，或在 address 中逐项填写，二选一。订单保存地址的副本。"
        "优惠券：coupon_id 指定用哪张；不填自动选最优的可用券；use_coupon=false 不用券。"
        "指定的券不能用于本单时返回 400（`coupon_not_started`、`coupon_out_of_scope`、"
        "`coupon_threshold_not_met`、`coupon_not_usable`），券已被使用或已失效返回 409 `coupon_unavailable`；"
        "有商品不配送至收货省份返回 422 `not_deliverable`，应付金额不大于 0 返回 422 `pay_amount_not_positive`。"
        "积分：points 指定用多少，use_all_points=true 按本单上限尽量多用（二者只能用一个）；"
        "超过可用积分返回 409 `not_enough_points`，超过本单上限返回 422 `points_over_limit`。"
        "满减送赠品作为 0 元的订单行（is_gift）随订单送出，赠完即止。"
    ),
)
def place_order(request, payload: PlaceOrderIn):
    user = current_user(request)

    def create() -> tuple[int, dict]:
        address = _order_address(user, payload)
        items = [(i.sku_id, i.quantity) for i in payload.items]
        if not items and payload.from_cart:
            lines, buyable = _buyable_lines(user)
            items = [(line.sku_id, line.quantity) for line in lines if line.sku_id in buyable]
        order = services.place_order(
            user=user,
            items=items,
            address=address,
            note=payload.note,
            from_cart=payload.from_cart,
            coupon=coupon_choice(payload.coupon_id, payload.use_coupon),
            points=points_choice(payload.points, payload.use_all_points),
        )
        return 201, OrderOut.model_validate(order_dict(_detail(order.pk))).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = create()
    else:
        status, body = run_once(user=user, scope="orders.create", key=key, payload=payload.dict(), handler=create)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


class MallOrderIn(InputSchema):
    item_id: int = Field(description="积分商城商品 id（GET /points-mall，kind 为 product）")
    address: AddressIn | None = Field(None, description="收货地址（逐项填写）；与 address_id 二选一")
    address_id: int | None = Field(None, description="我的地址簿中的地址 id；与 address 二选一")
    note: str = ""

    @model_validator(mode="after")
    def _one_address(self):
        if (self.address is None) == (self.address_id is None):
            raise ValueError("address 与 address_id 须二选一 (exactly one of address and address_id)")
        return self


@router.post(
    "/points-mall",
    response={201: OrderOut},
    summary="积分商城：兑换商品（下单）",
    description=(
        "按积分商城商品的积分 + 现金下单，一件，不参与任何优惠；运费按运费模板计算。"
        "应付为 0（纯积分且包邮）时直接成为待发货订单，无需付款；否则按普通订单付款。"
        "积分不足返回 409 `not_enough_points`，已兑完 409 `mall_sold_out`，超过每人限兑 409 `mall_limit`，"
        "不在兑换期或已暂停 400 `mall_item_unavailable`，商品不存在 404 `mall_item_not_found`。"
        "订单取消或超时未付款时积分退回、名额释放。"
    ),
)
def place_mall_order(request, payload: MallOrderIn):
    user = current_user(request)
    order = services.place_mall_order(
        user=user, item_id=payload.item_id, address=_order_address(user, payload), note=payload.note
    )
    return Status(201, order_dict(_detail(order.pk)))


class OrderFilter(Schema):
    status: str | None = None
    page: int = 1
    page_size: int = 20


@router.get("", response=list[OrderOut], summary="我的订单")
def my_orders(request, q: Query[OrderFilter]):
    size = max(1, min(q.page_size, 50))
    start = (max(1, q.page) - 1) * size
    orders = list(selectors.orders_for_user(current_user(request), status=q.status)[start : start + size])
    prefetch_related_objects(orders, "lines__adjustments")
    return [order_dict(o, detail=False) for o in orders]


@router.get("/shop", response=list[ShopOrderOut], summary="我的小店订单（分销商；买家脱敏）")
def shop_orders(request, q: Query[OrderFilter]):
    distributor = require_distributor(current_user(request))
    size = max(1, min(q.page_size, 50))
    start = (max(1, q.page) - 1) * size
    return [
        {
            "id": o.pk,
            "number": o.number,
            "status": o.status,
            "status_label": o.get_status_display(),
            "buyer": mask_name(o.user.nickname),
            "buyer_phone": mask_phone(o.user.phone),
            "total_fen": o.total_fen,
            "paid_fen": o.paid_fen,
            "refunded_fen": o.refunded_fen,
            "item_count": sum(line.quantity for line in o.lines.all()),
            "is_self_purchase": o.is_self_purchase,
            "created_at": o.created_at,
        }
        for o in selectors.orders_for_distributor(distributor, status=q.status)[start : start + size]
    ]


@router.get("/{order_id}", response=OrderOut, summary="订单详情（含时间线）")
def order_detail(request, order_id: int):
    return order_dict(_detail(order_id, user=current_user(request)))


@router.post(
    "/{order_id}/pay",
    response=PayOut,
    summary="付款：dev 即时支付；wechatpay 按 trade_type 返回 JSAPI 调起参数、H5 链接或扫码内容",
)
def pay(request, order_id: int, payload: PayIn):
    user = current_user(request)
    if payload.provider == "dev":
        order = services.pay_with_dev_provider(user=user, order_id=order_id)
        return {"order": order_dict(_detail(order.pk)), "provider": "dev", "payment_id": order.payment_id, "jsapi": None}
    payment = services.start_payment(
        user=user,
        order_id=order_id,
        provider=payload.provider,
        payer_openid=payload.openid,
        trade_type=payload.trade_type,
        client_ip=client_address(request),
    )
    return {
        "order": order_dict(_detail(order_id)),
        "provider": payment.provider,
        "payment_id": payment.pk,
        "jsapi": payments.jsapi_params(payment) if payment.trade_type == "jsapi" else None,
        "trade_type": payment.trade_type,
        "h5_url": payment.h5_url,
        "code_url": payment.code_url,
    }


@router.post("/{order_id}/cancel", response=OrderOut, summary="取消订单（未发货；已付款则全额退款）")
def cancel(request, order_id: int, payload: OrderReasonIn):
    services.cancel_order(order_id=order_id, actor=current_user(request), reason=payload.reason)
    return order_dict(_detail(order_id))


@router.post(
    "/{order_id}/confirm-receipt",
    response=OrderOut,
    summary="确认收货（整单已发货的包裹，或 shipment_id 指定的一个包裹）",
)
def confirm_receipt(request, order_id: int, shipment_id: int | None = None):
    user = current_user(request)
    if shipment_id is None:
        services.confirm_receipt(order_id=order_id, user=user)
    else:
        _detail(order_id, user=user)  # the buyer's own order, else 404
        if not selectors.shipment_in_order(order_id, shipment_id):
            raise OrderError(OrderCode.SHIPMENT_NOT_FOUND, _("发货单不存在"), {"shipment_id": shipment_id}, status=404)
        services.confirm_shipment_receipt(shipment_id=shipment_id, user=user)
    return order_dict(_detail(order_id))


@router.post("/lines/{line_id}/aftersales", response={201: AfterSaleOut}, summary="申请售后（仅退款 / 退货退款）")
def request_aftersale(request, line_id: int, payload: AfterSaleIn):
    a = services.request_aftersale(
        user=current_user(request),
        line_id=line_id,
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return Status(201, aftersale_dict(a))


@router.post(
    "/aftersales/{aftersale_id}/photos",
    response={201: AfterSaleOut},
    summary="补充售后凭证照片（multipart，字段 photos，最多共 6 张）",
    description="JPEG / PNG / WebP，每张不超过 5 MB；照片会重新编码并去除 EXIF（含拍摄位置）。售后结束后不能再补充。",
)
def add_aftersale_photos(request, aftersale_id: int, photos: File[list[UploadedFile]] = None):  # type: ignore[assignment]
    user = current_user(request)
    services.add_aftersale_photos(aftersale_id=aftersale_id, user=user, photos=photos or [])
    return Status(201, aftersale_dict(selectors.aftersale_for_user(user, aftersale_id)))


@router.post("/aftersales/{aftersale_id}/return", response=AfterSaleOut, summary="填写退货单号")
def submit_return(request, aftersale_id: int, payload: ReturnIn):
    return aftersale_dict(
        services.submit_return(aftersale_id=aftersale_id, user=current_user(request), tracking_number=payload.tracking_number)
    )


@router.post("/aftersales/{aftersale_id}/withdraw", response=AfterSaleOut, summary="撤销售后")
def withdraw(request, aftersale_id: int):
    return aftersale_dict(services.withdraw_aftersale(aftersale_id=aftersale_id, user=current_user(request)))


# --- operator ---------------------------------------------------------------------------------


@operator_router.get("/orders", response=list[OperatorOrderOut], summary="订单列表")
def operator_orders(request, q: Query[OrderFilter]):
    require_staff_perm(request, "orders.view_order")
    from .models import Order

    size = max(1, min(q.page_size, 100))
    start = (max(1, q.page) - 1) * size
    qs = Order.objects.select_related("distributor").order_by("-created_at", "-id")
    if q.status:
        qs = qs.filter(status=q.status)
    return [
        {
            "id": o.pk,
            "number": o.number,
            "status": o.status,
            "status_label": o.get_status_display(),
            "buyer_phone": mask_phone(o.receiver_phone),
            "distributor_code": o.distributor.code if o.distributor_id else None,
            "total_fen": o.total_fen,
            "paid_fen": o.paid_fen,
            "refunded_fen": o.refunded_fen,
            "created_at": o.created_at,
            "paid_at": o.paid_at,
        }
        for o in qs[start : start + size]
    ]


@operator_router.get("/orders/{order_id}", response=OperatorOrderDetailOut, summary="订单详情（含发货单）")
def operator_order_detail(request, order_id: int):
    require_staff_perm(request, "orders.view_order")
    return operator_order_dict(_detail(order_id))


@operator_router.post(
    "/shipments/{shipment_id}/cancel",
    response=OperatorOrderDetailOut,
    summary="取消一个发货单（未发货；退回其商品的实付）",
    description="已付款订单中一个发货方无法发货（如供应商缺货）：释放其库存、退回其订单行的实付；全部发货单取消则订单取消。",
)
def operator_cancel_shipment(request, shipment_id: int, payload: OrderReasonIn):
    require_staff_perm(request, "orders.cancel_order")
    shipment = services.cancel_shipment(shipment_id=shipment_id, actor=current_user(request), reason=payload.reason)
    return operator_order_dict(_detail(shipment.order_id))


@operator_router.post("/orders/{order_id}/ship", response=OrderOut, summary="发货")
def ship(request, order_id: int, payload: ShipIn):
    require_staff_perm(request, "orders.ship_order")
    services.ship_order(
        order_id=order_id,
        actor=current_user(request),
        tracking_company=payload.tracking_company,
        tracking_number=payload.tracking_number,
    )
    return order_dict(_detail(order_id))


@operator_router.post(
    "/orders/{order_id}/cancel",
    response=OrderOut,
    summary="运营取消（未发货）",
    description=(
        "已付款订单全额退款。退款金额超过审批额度（默认 ¥500）时订单不立即取消：提交财务审批（资金审批），"
        "审批前订单保持待发货且不能发货（发货返回 409 `cancel_awaiting_approval`），批准后取消并退款，驳回则照常发货。"
    ),
)
def operator_cancel(request, order_id: int, payload: OrderReasonIn):
    require_staff_perm(request, "orders.cancel_order")
    services.cancel_order(order_id=order_id, actor=current_user(request), reason=payload.reason, as_buyer=False)
    return order_dict(_detail(order_id))


class AfterSaleFilter(Schema):
    status: str | None = None


@operator_router.get("/aftersales", response=list[AfterSaleOut], summary="售后列表")
def operator_aftersales(request, q: Query[AfterSaleFilter]):
    require_staff_perm(request, "orders.view_aftersale")
    return [aftersale_dict(a) for a in selectors.aftersales_for_review(status=q.status)[:200]]


@operator_router.post("/aftersales/{aftersale_id}/approve", response=AfterSaleOut, summary="同意售后")
def approve_aftersale(request, aftersale_id: int, payload: OrderReasonIn):
    require_staff_perm(request, "orders.review_aftersale")
    return aftersale_dict(
        services.review_aftersale(aftersale_id=aftersale_id, actor=current_user(request), approve=True, reason=payload.reason)
    )


@operator_router.post("/aftersales/{aftersale_id}/reject", response=AfterSaleOut, summary="拒绝售后（须填原因）")
def reject_aftersale(request, aftersale_id: int, payload: OrderReasonIn):
    require_staff_perm(request, "orders.review_aftersale")
    return aftersale_dict(
        services.review_aftersale(aftersale_id=aftersale_id, actor=current_user(request), approve=False, reason=payload.reason)
    )


@operator_router.post("/aftersales/{aftersale_id}/receive-return", response=AfterSaleOut, summary="确认收到退货并退款")
def receive_return(request, aftersale_id: int):
    require_staff_perm(request, "orders.receive_return")
    return aftersale_dict(services.receive_return_and_refund(aftersale_id=aftersale_id, actor=current_user(request)))


@operator_router.post(
    "/orders/lines/{line_id}/refund", response=AfterSaleOut, summary="客服退款（已发货、已收货或已完成的订单行）"
)
def operator_refund(request, line_id: int, payload: OperatorRefundIn):
    require_staff_perm(request, "orders.refund_money")
    return aftersale_dict(
        services.operator_refund_line(
            line_id=line_id, amount_fen=payload.amount_fen, actor=current_user(request), reason=payload.reason
        )
    )
