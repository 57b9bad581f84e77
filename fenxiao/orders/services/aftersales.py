"""After-sales of a shipped order: refund only, or return and refund, asked by the buyer (with up to six
photos, checked and re-encoded by `orders.photos`) or opened by customer service; the refund itself is
in `refunds`."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from fenxiao.common.duties import refuse_own
from fenxiao.common.money import yuan
from fenxiao.inventory import services as inventory
from fenxiao.inventory.models import MAIN_LOCATION

from .. import photos as photo_rules
from .. import selectors
from ..errors import OrderCode, OrderError
from ..models import AfterSale, AfterSalePhoto, Order, OrderLine, Shipment, ShippedBatch
from .refunds import locked_aftersale, refund_aftersale
from .states import AFTERSALE_MACHINE, OPEN_AFTERSALE, A, S, locked_order, move_aftersale

SH = Shipment.Status


def request_aftersale(*, user, line_id: int, kind: str, amount_fen: int, reason: str, quantity: int = 0, photos=()) -> AfterSale:
    """Refund only, or return and refund, of one line after it shipped; any amount up to what is
    still refundable on the line, with up to six photos (refused as a whole when one fails its
    checks). The photos are checked and re-encoded before the order is locked."""
    prepared = photo_rules.prepare_photos(photos)
    return _request_aftersale(
        user=user, line_id=line_id, kind=kind, amount_fen=amount_fen, reason=reason, quantity=quantity, prepared=prepared
    )


@transaction.atomic
def _request_aftersale(*, user, line_id: int, kind: str, amount_fen: int, reason: str, quantity: int, prepared) -> AfterSale:
    line = OrderLine.objects.select_related("order").filter(pk=line_id, order__user=user).first()
    if line is None:
        raise OrderError(OrderCode.ORDER_NOT_FOUND, gettext("订单行不存在"), {"line_id": line_id}, status=404)
    order = locked_order(line.order_id)
    if kind not in AfterSale.Kind.values:
        raise OrderError(OrderCode.AFTERSALE_NOT_ALLOWED, gettext("售后类型只能是仅退款或退货退款"), {"kind": kind})
    if line.is_gift:
        # A 满减送 gift costs nothing: there is nothing to refund on it.
        raise OrderError(
            OrderCode.AFTERSALE_NOT_ALLOWED,
            gettext("赠品不能申请售后（赠品 0 元，没有可退的金额）"),
            {"line_id": line.pk, "is_gift": True},
        )
    status = _shipment_status(line, order)
    if status not in (SH.SHIPPED, SH.RECEIVED):
        raise OrderError(
            OrderCode.AFTERSALE_NOT_ALLOWED,
            gettext("只有已发货或已收货、仍在售后期内的商品可以申请售后；未发货的订单请直接取消"),
            {"status": order.status, "shipment_status": status},
            status=409,
        )
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(OrderCode.REASON_REQUIRED, gettext("请填写售后原因"))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise OrderError(OrderCode.INVALID_AMOUNT, gettext("退款金额必须大于 0"), {"amount_fen": amount_fen})
    if AfterSale.objects.filter(line=line, status__in=OPEN_AFTERSALE).exists():
        raise OrderError(OrderCode.AFTERSALE_OPEN, gettext("该商品已有进行中的售后"), status=409)
    if kind == AfterSale.Kind.RETURN_REFUND:
        # Units already sent back and refunded cannot be returned again (no other after-sale of the
        # line is open: checked above, under the order's lock).
        left = selectors.returnable_quantity(line)
        if left <= 0:
            raise OrderError(
                OrderCode.AFTERSALE_NOT_ALLOWED,
                gettext("该商品已全部退货"),
                {"line_id": line.pk, "quantity": line.quantity, "returnable": 0},
                status=409,
            )
        quantity = quantity or left
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= left:
            raise OrderError(
                OrderCode.INVALID_QUANTITY,
                gettext("退货数量不正确（还可退 %(left)s 件）") % {"left": left},
                {"quantity": quantity, "max": left},
            )
    else:
        quantity = 0
    line.refresh_from_db(fields=["refunded_fen"])
    if amount_fen > line.refundable_fen:
        raise OrderError(
            OrderCode.REFUND_EXCEEDS_PAID,
            gettext("退款金额不能超过该商品实付金额（还可退 ¥%(left)s）") % {"left": yuan(line.refundable_fen)},
            {"requested_fen": amount_fen, "refundable_fen": line.refundable_fen},
            status=422,
        )
    aftersale = AfterSale.objects.create(
        line=line, order=order, kind=kind, amount_fen=amount_fen, quantity=quantity, reason=reason[:200]
    )
    AFTERSALE_MACHINE.record(aftersale, "", aftersale.status, actor=user, note=reason)
    _store_photos(aftersale, prepared, start=0)
    return aftersale


def _shipment_status(line: OrderLine, order: Order) -> str:
    """Where the line's own shipment stands (its after-sales window is the shipment's); a line
    without a shipment follows its order."""
    if line.shipment_id is not None:
        status = Shipment.objects.filter(pk=line.shipment_id).values_list("status", flat=True).first()
        if status:
            return status
    by_order: dict[str, str] = {S.SHIPPED: SH.SHIPPED, S.RECEIVED: SH.RECEIVED, S.COMPLETED: SH.COMPLETED}
    return by_order.get(order.status, SH.TO_SHIP)


def _store_photos(aftersale: AfterSale, prepared, *, start: int) -> list[AfterSalePhoto]:
    """Write the re-encoded photos and their rows; a failure removes the files already written (the
    rows go with the surrounding transaction)."""
    stored: list[AfterSalePhoto] = []
    try:
        for offset, photo in enumerate(prepared):
            row = AfterSalePhoto(
                aftersale=aftersale,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.content),
                position=start + offset + 1,
            )
            row.image.save("photo.jpg", photo_rules.as_file(photo), save=False)
            stored.append(row)
            row.save()
    except BaseException:
        for row in stored:
            default_storage.delete(row.image.name)
        raise
    return stored


def add_aftersale_photos(*, aftersale_id: int, user, photos) -> list[AfterSalePhoto]:
    """More photos for the buyer's own after-sale while it is still open, up to six in all."""
    if not AfterSale.objects.filter(pk=aftersale_id, order__user=user).exists():
        raise OrderError(OrderCode.AFTERSALE_NOT_FOUND, gettext("售后单不存在"), {"aftersale_id": aftersale_id}, status=404)
    uploads = [upload for upload in (photos or []) if upload is not None]
    if not uploads:
        raise OrderError(OrderCode.INVALID_PHOTO, gettext("请选择要上传的照片"), {"field": "photos"}, status=422)
    existing = AfterSalePhoto.objects.filter(aftersale_id=aftersale_id).count()
    prepared = photo_rules.prepare_photos(uploads, existing=existing)
    return _add_photos(aftersale_id=aftersale_id, user=user, prepared=prepared)


@transaction.atomic
def _add_photos(*, aftersale_id: int, user, prepared) -> list[AfterSalePhoto]:
    aftersale = locked_aftersale(aftersale_id, user=user)
    if aftersale.status not in OPEN_AFTERSALE:
        raise OrderError(
            OrderCode.AFTERSALE_NOT_ALLOWED,
            gettext("售后已结束，不能再补充照片"),
            {"status": aftersale.status, "field": "photos"},
            status=409,
        )
    positions = list(AfterSalePhoto.objects.filter(aftersale=aftersale).values_list("position", flat=True))
    photo_rules.check_count(len(positions), len(prepared))  # again under the lock: two uploads at once
    return _store_photos(aftersale, prepared, start=max(positions, default=0))


def _refuse_own_order(order_id: int, actor) -> None:
    owner_id = Order.objects.filter(pk=order_id).values_list("user_id", flat=True).first()
    refuse_own(actor, owner_id, what=f"order:{order_id}")


@transaction.atomic
def review_aftersale(*, aftersale_id: int, actor, approve: bool, reason: str = "") -> AfterSale:
    aftersale = locked_aftersale(aftersale_id)
    _refuse_own_order(aftersale.order_id, actor)
    if not approve:
        reason = (reason or "").strip()
        if not reason:
            raise OrderError(OrderCode.REASON_REQUIRED, gettext("拒绝售后须填写原因"))
        aftersale.reject_reason = reason[:200]
        return move_aftersale(aftersale, A.REJECTED, actor=actor, note=reason, extra_fields=("reject_reason",))
    if aftersale.status != A.REQUESTED:
        raise OrderError(
            OrderCode.INVALID_TRANSITION, gettext("该售后单不在待审核状态"), {"status": aftersale.status}, status=409
        )
    if aftersale.kind == AfterSale.Kind.RETURN_REFUND:
        return move_aftersale(aftersale, A.AWAITING_RETURN, actor=actor, note=gettext("同意退货，等待买家寄回"))
    return refund_aftersale(aftersale, actor=actor)


@transaction.atomic
def operator_refund_line(*, line_id: int, amount_fen: int, actor, reason: str) -> AfterSale:
    """Customer service refunds part or all of a line on the operator's own initiative: after
    shipping, and also after the order completed (a late complaint settled with money). It is an
    after-sale like any other (refund only), opened and approved by the operator in one step; the
    commissions follow through the refund signal: cancelled while pending, clawed back once settled."""
    line = OrderLine.objects.select_related("order").filter(pk=line_id).first()
    if line is None:
        raise OrderError(OrderCode.ORDER_NOT_FOUND, gettext("订单行不存在"), {"line_id": line_id}, status=404)
    order = locked_order(line.order_id)
    refuse_own(actor, order.user_id, what=f"order:{order.number}")
    status = _shipment_status(line, order)
    if status not in (SH.SHIPPED, SH.RECEIVED, SH.COMPLETED):
        raise OrderError(
            OrderCode.AFTERSALE_NOT_ALLOWED,
            gettext("只有已发货、已收货或已完成的商品可以由客服退款；未发货的订单请取消"),
            {"status": order.status, "shipment_status": status},
            status=409,
        )
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(OrderCode.REASON_REQUIRED, gettext("请填写退款原因"))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise OrderError(OrderCode.INVALID_AMOUNT, gettext("退款金额必须大于 0"), {"amount_fen": amount_fen})
    if AfterSale.objects.filter(line=line, status__in=OPEN_AFTERSALE).exists():
        raise OrderError(OrderCode.AFTERSALE_OPEN, gettext("该商品已有进行中的售后"), status=409)
    line.refresh_from_db(fields=["refunded_fen"])
    if amount_fen > line.refundable_fen:
        raise OrderError(
            OrderCode.REFUND_EXCEEDS_PAID,
            gettext("退款金额不能超过该商品实付金额（还可退 ¥%(left)s）") % {"left": yuan(line.refundable_fen)},
            {"requested_fen": amount_fen, "refundable_fen": line.refundable_fen},
            status=422,
        )
    aftersale = AfterSale.objects.create(
        line=line, order=order, kind=AfterSale.Kind.REFUND_ONLY, amount_fen=amount_fen, reason=reason[:200]
    )
    AFTERSALE_MACHINE.record(
        aftersale, "", aftersale.status, actor=actor, note=gettext("客服发起退款：%(reason)s") % {"reason": reason}
    )
    return refund_aftersale(aftersale, actor=actor)


@transaction.atomic
def submit_return(*, aftersale_id: int, user, tracking_number: str) -> AfterSale:
    tracking_number = (tracking_number or "").strip()
    if not tracking_number or len(tracking_number) > 40:
        raise OrderError(OrderCode.TRACKING_REQUIRED, gettext("请填写退货快递单号"))
    aftersale = locked_aftersale(aftersale_id, user=user)
    aftersale.return_tracking_number = tracking_number
    return move_aftersale(aftersale, A.RETURNED, actor=user, note=tracking_number, extra_fields=("return_tracking_number",))


def return_address(line: OrderLine) -> dict | None:
    """Where the buyer sends a returned line: its supplier's return address when a supplier shipped
    it (receiver, phone, province, city, district, detail), None for the platform warehouse's (the
    shop's own address, told by customer service)."""
    shipment = line.shipment if line.shipment_id else None
    if shipment is None or shipment.supplier_id is None:
        return None
    supplier = shipment.supplier
    if supplier is None:  # supplier_id is set
        raise AssertionError(f"shipment {shipment.pk} has a supplier_id but no supplier")
    return {
        "receiver": supplier.return_receiver,
        "phone": supplier.return_phone,
        "province": supplier.return_province,
        "city": supplier.return_city,
        "district": supplier.return_district,
        "detail": supplier.return_detail,
    }


@transaction.atomic
def receive_return_and_refund(*, aftersale_id: int, actor, supplier=None) -> AfterSale:
    """The goods came back: put them back in stock where they shipped from and refund. A supplier's
    returns are received by that supplier (`supplier`, from its portal): another supplier's or a
    platform line's return is "not found" to it. Staff receive the platform's returns and may step
    in for a supplier's. The units go back into the batches they left (see `_return_units`)."""
    if supplier is not None:
        supplier_id = getattr(supplier, "pk", supplier)
        if not AfterSale.objects.filter(pk=aftersale_id, line__shipment__supplier_id=supplier_id).exists():
            raise OrderError(OrderCode.AFTERSALE_NOT_FOUND, gettext("售后单不存在"), {"aftersale_id": aftersale_id}, status=404)
    aftersale = locked_aftersale(aftersale_id)
    if supplier is None:
        _refuse_own_order(aftersale.order_id, actor)
    if aftersale.status != A.RETURNED:
        raise OrderError(OrderCode.INVALID_TRANSITION, gettext("买家尚未寄回商品"), {"status": aftersale.status}, status=409)
    line = OrderLine.objects.select_related("shipment").get(pk=aftersale.line_id)
    if aftersale.quantity:
        _return_units(line, aftersale, actor=actor)
    return refund_aftersale(aftersale, actor=actor)


def _return_units(line: OrderLine, aftersale: AfterSale, *, actor) -> None:
    """Returned units go back into the batches the line shipped from, filled in the order the line's
    `ShippedBatch` rows were recorded when it shipped (by id), each batch up to what it gave less
    what earlier returns of the line already put back (`returned`); the rows
    are locked, so two returns of one line never count the same units twice. Units no row covers (a
    line shipped before batches were recorded) are received into a new batch, as any receipt."""
    location = line.shipment.route if line.shipment is not None else MAIN_LOCATION
    note = f"aftersale:{aftersale.pk}"
    left = aftersale.quantity
    parts: list[tuple[int, int]] = []
    for row in ShippedBatch.objects.select_for_update().filter(line=line).order_by("id"):
        take = min(left, row.quantity - row.returned)
        if take <= 0:
            continue
        ShippedBatch.objects.filter(pk=row.pk).update(returned=F("returned") + take)
        parts.append((row.batch_id, take))
        left -= take
        if left == 0:
            break
    if parts:
        inventory.return_to_batches(sku_id=line.sku_id, location=location, parts=parts, actor=actor, note=note, reference=note)
    if left:
        inventory.receive_stock(sku_id=line.sku_id, quantity=left, location=location, actor=actor, note=note)


@transaction.atomic
def withdraw_aftersale(*, aftersale_id: int, user) -> AfterSale:
    aftersale = locked_aftersale(aftersale_id, user=user)
    return move_aftersale(aftersale, A.WITHDRAWN, actor=user, note=gettext("买家撤销"))


def open_aftersale_filter() -> Q:
    return Q(aftersales__status__in=OPEN_AFTERSALE)
