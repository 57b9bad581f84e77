"""The carriers list: public (the shipping forms and the buyer's order page show names and tracking
links), and the operator's list with create, change and deactivate (供应链)."""

from __future__ import annotations

from ninja import Router, Status

from fenxiao.accounts.auth import member_auth, require_staff_perm

from . import selectors, services
from .schemas import CarrierIn, CarrierOut, CarrierPatchIn, OperatorCarrierOut

router = Router(tags=["物流 logistics"])
operator_router = Router(tags=["运营：快递公司 operator carriers"], auth=member_auth)


@router.get("", response=list[CarrierOut], summary="可选的快递公司（编码、名称、查询链接模板、单号格式）")
def carriers(request):
    return selectors.active_carriers()


@operator_router.get("", response=list[OperatorCarrierOut], summary="快递公司（含已停用）")
def operator_carriers(request):
    require_staff_perm(request, "logistics.view_carrier")
    return selectors.all_carriers()


@operator_router.post("", response={201: OperatorCarrierOut}, summary="新增快递公司")
def create_carrier(request, payload: CarrierIn):
    require_staff_perm(request, "logistics.add_carrier")
    return Status(201, services.create_carrier(**payload.dict()))


@operator_router.patch("/{carrier_id}", response=OperatorCarrierOut, summary="修改快递公司（只改给出的字段）")
def update_carrier(request, carrier_id: int, payload: CarrierPatchIn):
    require_staff_perm(request, "logistics.change_carrier")
    return services.update_carrier(carrier_id, **payload.dict(exclude_unset=True))


@operator_router.post("/{carrier_id}/deactivate", response=OperatorCarrierOut, summary="停用快递公司（已发货的单号照常查询）")
def deactivate_carrier(request, carrier_id: int):
    require_staff_perm(request, "logistics.change_carrier")
    return services.deactivate_carrier(carrier_id)
