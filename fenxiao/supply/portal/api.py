"""The supplier portal's API, under /api/v1/supplier/: for the signed-in account of an approved (or
suspended) supplier; anyone else gets 403 `not_supplier`. A shipment, return or SKU of another
supplier answers 404 exactly like a missing one."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile

from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.common.errors import CommonCode, DomainError
from fenxiao.common.money import parse_yuan

from . import files, selectors, services
from .access import current_supplier
from .schemas import (
    PortalAdjustIn,
    PortalCostChangeIn,
    PortalCostChangeOut,
    PortalExceptionFilter,
    PortalExceptionIn,
    PortalExceptionOut,
    PortalPickListQuery,
    PortalProfileOut,
    PortalReceiptIn,
    PortalReturnFilter,
    PortalReturnOut,
    PortalShipIn,
    PortalShipmentFilter,
    PortalShipmentOut,
    PortalShipmentPageOut,
    PortalStockOut,
    PortalStockRowOut,
    PortalSummaryOut,
    PortalTrackingImportOut,
)

router = Router(tags=["供应商门户 supplier"], auth=member_auth)

PICK_LIST_HEADER = ["订单号", "SKU 编码", "商品", "规格", "数量", "收货人", "手机号", "收货地址", "买家留言", "最晚发货时间"]


def _supplier(request):
    return current_supplier(current_user(request))


def _upload(file: UploadedFile) -> tuple[str, bytes]:
    if file.size is not None and file.size > files.MAX_BYTES:
        return file.name or "", b"\0" * (files.MAX_BYTES + 1)  # refused as too large without reading it
    return file.name or "", file.read(files.MAX_BYTES + 1)


@router.get("/profile", response=PortalProfileOut, summary="我的供应商资料（收款账号仅显示后 4 位）")
def profile(request):
    return selectors.profile_view(_supplier(request))


@router.get("/summary", response=PortalSummaryOut, summary="待发货、超时、待收退货与待处理异常的数量")
def summary(request):
    figures = selectors.counts(_supplier(request))
    return {
        "to_ship": figures.to_ship,
        "overdue": figures.overdue,
        "returns_to_receive": figures.returns_to_receive,
        "open_exceptions": figures.open_exceptions,
    }


@router.get(
    "/shipments",
    response=PortalShipmentPageOut,
    summary="我的发货单（按状态筛选，按订单号搜索）",
    description="收货人手机号与地址仅在待发货时完整显示；发货后手机号脱敏、地址只到省市；完成后姓名也脱敏。",
)
def shipment_list(request, q: Query[PortalShipmentFilter]):
    supplier = _supplier(request)
    now = timezone.now()
    qs = selectors.shipments_for(supplier, status=q.status, search=q.q, now=now)
    items = selectors.page_of(qs, q.page, q.page_size)
    return {
        "count": qs.count(),
        "page": q.page,
        "page_size": q.page_size,
        "items": [selectors.shipment_view(s, now) for s in items],
    }


@router.get("/shipments/pick-list.xlsx", summary="导出拣货单 Excel（待发货的发货单，或 ?ids= 所选）")
def pick_list(request, q: Query[PortalPickListQuery]):
    supplier = _supplier(request)
    rows = []
    for shipment in selectors.pick_list_shipments(supplier, q.ids):
        view = selectors.shipment_view(shipment)
        receiver = view["receiver"]
        ship_by = timezone.localtime(shipment.ship_by).strftime("%Y-%m-%d %H:%M") if shipment.ship_by else ""
        for line in view["lines"]:
            rows.append(
                [
                    view["order_number"],
                    line["sku_code"],
                    line["product_name"],
                    line["spec"],
                    line["quantity"],
                    receiver["name"],
                    receiver["phone"],
                    receiver["address"],
                    view["note"],
                    ship_by,
                ]
            )
    content = files.workbook(_("拣货单"), PICK_LIST_HEADER, rows)
    filename = f"pick-list-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/shipments/tracking-import",
    response=PortalTrackingImportOut,
    summary="按文件批量填写快递单号（.xlsx/.csv：订单号、快递公司、快递单号；最多 2,000 行、2 MB）",
    description="每行独立处理并返回结果；同一文件再次导入不会重复发货（已用同一单号发货的行返回 already）。",
)
def tracking_import(request, file: File[UploadedFile]):
    supplier = _supplier(request)
    name, content = _upload(file)
    rows = services.import_tracking(supplier=supplier, actor=current_user(request), filename=name, content=content)
    return {
        "shipped": sum(1 for r in rows if r.outcome == services.SHIPPED),
        "already": sum(1 for r in rows if r.outcome == services.ALREADY),
        "errors": sum(1 for r in rows if r.outcome == services.ERROR),
        "rows": [r.as_dict() for r in rows],
    }


@router.get("/shipments/{shipment_id}", response=PortalShipmentOut, summary="一张发货单")
def shipment_detail(request, shipment_id: int):
    return selectors.shipment_view(selectors.shipment_for(_supplier(request), shipment_id))


@router.post(
    "/shipments/{shipment_id}/ship",
    response=PortalShipmentOut,
    summary="发货：填写快递公司与单号",
    description="已发货返回 409 `already_shipped`；快递公司不存在 422 `unknown_carrier`；单号格式不符 422 `invalid_tracking_number`。",
)
def ship(request, shipment_id: int, payload: PortalShipIn):
    supplier = _supplier(request)
    shipment = services.ship(
        supplier=supplier,
        shipment_id=shipment_id,
        actor=current_user(request),
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
    )
    return selectors.shipment_view(shipment)


@router.post(
    "/shipments/{shipment_id}/exceptions",
    response={201: PortalExceptionOut},
    summary="报告发货异常（缺货、地址问题等），由运营处理",
    description="只有待发货的发货单可以报告（否则 409 `shipment_not_open`）；已有待处理异常时 409 `exception_open`。",
)
def report_exception(request, shipment_id: int, payload: PortalExceptionIn):
    supplier = _supplier(request)
    exception = services.report_exception(
        supplier=supplier, shipment_id=shipment_id, actor=current_user(request), kind=payload.kind, note=payload.note
    )
    return Status(201, selectors.exception_view(selectors.exceptions_for(supplier).get(pk=exception.pk)))


@router.get("/exceptions", response=list[PortalExceptionOut], summary="我报告的发货异常及处理结果")
def exception_list(request, q: Query[PortalExceptionFilter]):
    supplier = _supplier(request)
    return [selectors.exception_view(e) for e in selectors.exceptions_for(supplier, status=q.status)[:200]]


@router.get("/returns", response=list[PortalReturnOut], summary="待收的退货（买家已寄回）或历史")
def return_list(request, q: Query[PortalReturnFilter]):
    supplier = _supplier(request)
    return [selectors.return_view(a) for a in selectors.returns_for(supplier, pending=q.state == "pending")[:200]]


@router.post("/returns/{aftersale_id}/receive", response=PortalReturnOut, summary="确认收到退货（随后为买家退款）")
def receive_return(request, aftersale_id: int):
    supplier = _supplier(request)
    services.receive_return(supplier=supplier, aftersale_id=aftersale_id, actor=current_user(request))
    return selectors.return_view(selectors.return_for(supplier, aftersale_id))


@router.get("/stock", response=list[PortalStockOut], summary="我的商品库存与批次")
def stock(request):
    return selectors.stock_view(_supplier(request))


def _record_out(record) -> dict:
    return {"sku_id": record.sku_id, "on_hand": record.on_hand, "reserved": record.reserved}


@router.post("/stock/receipts", response={201: PortalStockRowOut}, summary="入库一个批次（批次号、生产日期、到期日）")
def receive_batch(request, payload: PortalReceiptIn):
    supplier = _supplier(request)
    record = services.receive_batch(
        supplier=supplier,
        sku_id=payload.sku_id,
        quantity=payload.quantity,
        batch_number=payload.batch_number,
        production_date=payload.production_date,
        expiry_date=payload.expiry_date,
        actor=current_user(request),
        note=payload.note,
    )
    return Status(201, _record_out(record))


@router.post("/stock/adjustments", response=PortalStockRowOut, summary="盘点调整在库数量（不能低于已占用）")
def adjust_stock(request, payload: PortalAdjustIn):
    supplier = _supplier(request)
    record = services.adjust(
        supplier=supplier,
        sku_id=payload.sku_id,
        delta=payload.delta,
        actor=current_user(request),
        note=payload.note,
        batch_id=payload.batch_id,
    )
    return _record_out(record)


@router.post("/stock/import", summary="按文件导入库存（.xlsx/.csv）")
def import_stock(request, file: File[UploadedFile]):
    supplier = _supplier(request)
    result = services.import_stock(supplier=supplier, file=file, actor=current_user(request))
    return _plain(result)


def _plain(value):
    """A service's answer as JSON-ready data (a dataclass, a list of them, or a dict)."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@router.post(
    "/skus/{sku_id}/cost-changes",
    response={201: PortalCostChangeOut},
    summary="调整成本价：从指定时间起生效，已下的订单不受影响",
    description="生效时间早于现在返回 422 `cost_change_in_past`；不是自己的商品规格返回 404。",
)
def schedule_cost_change(request, sku_id: int, payload: PortalCostChangeIn):
    supplier = _supplier(request)
    selectors.own_sku(supplier, sku_id)
    try:
        cost_fen = parse_yuan(payload.cost)
    except ValueError:
        raise DomainError(CommonCode.INVALID_INPUT, _("成本价格式不正确"), {"field": "cost"}, status=422) from None
    if cost_fen <= 0:
        raise DomainError(CommonCode.INVALID_INPUT, _("成本价必须大于 0"), {"field": "cost"}, status=422)
    change = services.schedule_cost(
        supplier=supplier, sku_id=sku_id, cost_fen=cost_fen, effective_at=payload.effective_at, actor=current_user(request)
    )
    return Status(201, selectors.cost_change_view(selectors.cost_changes_for(supplier).get(pk=change.pk)))


@router.get("/cost-changes", response=list[PortalCostChangeOut], summary="我的成本价调整（待生效与已生效）")
def cost_changes(request):
    return [selectors.cost_change_view(c) for c in selectors.cost_changes_for(_supplier(request))[:200]]
