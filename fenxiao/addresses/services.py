"""Writes of the address book: add, update, delete, set default.

Each write locks the owner's user row first, so two requests of one buyer (two tabs, a double tap)
cannot pass the limit together or leave two defaults; the partial unique constraint is the last line.
The first address becomes the default; deleting the default hands it to the newest remaining one.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from . import regions
from .errors import AddressCode, AddressError
from .models import MAX_ADDRESSES, Address

TEXT_LIMITS = {"receiver": 32, "detail": 120}


def _text(data: dict, name: str) -> str:
    value = " ".join(str(data.get(name) or "").split())
    if not value:
        raise AddressError(AddressCode.INVALID_ADDRESS, gettext("请填写完整的收货地址"), {"field": name})
    if len(value) > TEXT_LIMITS[name]:
        raise AddressError(AddressCode.INVALID_ADDRESS, gettext("地址内容过长"), {"field": name, "max": TEXT_LIMITS[name]})
    return value


def clean_address(data: dict) -> dict:
    """The model fields of an address from a form or API body: receiver, phone, the three region
    codes (checked to be one real province → city → district chain) and the street address."""
    receiver = _text(data, "receiver")
    phone = normalize_phone(str(data.get("phone") or "").strip())
    if not is_mainland_mobile(phone):
        raise AddressError(AddressCode.INVALID_PHONE, gettext("收货手机号格式不正确"), {"field": "phone"})
    region = regions.resolve(data.get("province_code", ""), data.get("city_code", ""), data.get("district_code", ""))
    detail = _text(data, "detail")
    return {
        "receiver": receiver,
        "phone": phone,
        "province": region.province.name,
        "province_code": region.province.code,
        "city": region.city.name,
        "city_code": region.city.code,
        "district": region.district.name,
        "district_code": region.district.code,
        "detail": detail,
    }


def _lock_owner(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _own(user, address_id) -> Address:
    address = Address.objects.select_for_update().filter(user=user, pk=address_id).first()
    if address is None:
        raise AddressError(AddressCode.ADDRESS_NOT_FOUND, gettext("收货地址不存在"), {"address_id": address_id}, status=404)
    return address


def _make_default(user, address: Address) -> None:
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])


def add_address(*, user, data: dict, make_default: bool = False) -> Address:
    clean = clean_address(data)
    with transaction.atomic():
        _lock_owner(user)
        count = Address.objects.filter(user=user).count()
        if count >= MAX_ADDRESSES:
            raise AddressError(
                AddressCode.ADDRESS_LIMIT,
                gettext("最多保存 %(max)s 个收货地址，请先删除不用的地址") % {"max": MAX_ADDRESSES},
                {"max": MAX_ADDRESSES},
            )
        address = Address.objects.create(user=user, is_default=False, **clean)
        if make_default or count == 0:
            _make_default(user, address)
        return address


def update_address(*, user, address_id: int, data: dict, make_default: bool = False) -> Address:
    with transaction.atomic():
        _lock_owner(user)
        address = _own(user, address_id)  # somebody else's address is not found, whatever the body says
        clean = clean_address(data)
        for name, value in clean.items():
            setattr(address, name, value)
        address.save()
        if make_default:
            _make_default(user, address)
        return address


def delete_address(*, user, address_id: int) -> None:
    with transaction.atomic():
        _lock_owner(user)
        address = _own(user, address_id)
        was_default = address.is_default
        address.delete()
        if was_default:
            newest = Address.objects.filter(user=user).order_by("-created_at", "-id").first()
            if newest is not None:
                _make_default(user, newest)


def set_default(*, user, address_id: int) -> Address:
    with transaction.atomic():
        _lock_owner(user)
        address = _own(user, address_id)
        _make_default(user, address)
        return address
