from django.db import transaction
from django.utils.translation import gettext as _

from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from .errors import SupplierCode, SupplierError
from .models import Supplier


@transaction.atomic
def create_supplier(*, name: str, user, contact_name: str = "", contact_phone: str = "") -> Supplier:
    phone = normalize_phone(contact_phone) if contact_phone else ""
    if phone and not is_mainland_mobile(phone):
        raise SupplierError(SupplierCode.INVALID_PHONE, _("联系电话格式不正确"), {"contact_phone": contact_phone})
    if Supplier.objects.filter(name=name).exists():
        raise SupplierError(SupplierCode.SUPPLIER_EXISTS, _("供应商名称已存在"), {"name": name}, status=409)
    return Supplier.objects.create(name=name, user=user, contact_name=contact_name, contact_phone=phone)
