"""The buyer's address book: /api/v1/addresses. Somebody else's address answers 404, like one that
does not exist."""

from django.utils.translation import gettext
from ninja import Query, Router, Status

from fenxiao.accounts.auth import current_user, member_auth

from . import regions, selectors, services
from .errors import AddressCode, AddressError
from .schemas import AddressBookIn, AddressBookOut, RegionOut, RegionQuery

router = Router(tags=["收货地址 addresses"], auth=member_auth)


def _data(payload: AddressBookIn) -> dict:
    return payload.dict(exclude={"is_default"})


@router.get("", response=list[AddressBookOut], summary="我的收货地址（默认地址在前）")
def list_addresses(request):
    return list(selectors.addresses_of(current_user(request)))


@router.post("", response={201: AddressBookOut}, summary="新增收货地址（最多 20 个）")
def create_address(request, payload: AddressBookIn):
    address = services.add_address(user=current_user(request), data=_data(payload), make_default=payload.is_default)
    return Status(201, address)


@router.get("/regions", response=list[RegionOut], auth=None, summary="省 / 市 / 区县（parent 为上级代码）")
def list_regions(request, q: Query[RegionQuery]):
    parent = q.parent.strip()
    if not parent:
        return [{"code": p.code, "name": p.name} for p in regions.provinces()]
    found = regions.cities(parent) or regions.districts(parent)
    if not found:
        raise AddressError(
            AddressCode.INVALID_REGION, gettext("没有这个上级区划"), {"field": "parent", "code": parent}, status=404
        )
    return [{"code": d.code, "name": d.name} for d in found]


@router.put("/{address_id}", response=AddressBookOut, summary="修改收货地址")
def update_address(request, address_id: int, payload: AddressBookIn):
    return services.update_address(
        user=current_user(request), address_id=address_id, data=_data(payload), make_default=payload.is_default
    )


@router.delete("/{address_id}", response={204: None}, summary="删除收货地址（删除默认地址时最新的一个成为默认）")
def delete_address(request, address_id: int):
    services.delete_address(user=current_user(request), address_id=address_id)
    return Status(204, None)


@router.post("/{address_id}/default", response=AddressBookOut, summary="设为默认地址")
def set_default(request, address_id: int):
    return services.set_default(user=current_user(request), address_id=address_id)
