"""Sample requests (样品申请): the only code that writes them.

A distributor in force asks for a sellable SKU, a quantity, a reason and one of its address-book
addresses; the units count against its level's quota for the local calendar month (requested and
approved units; a refused or withdrawn request gives them back). Over the quota is 422
`sample_quota_exceeded` with the quota, what is used and what was asked. Requests of one distributor
are taken one at a time (its row is locked), so two requests at once cannot both slip under the quota.

Supply chain (`supply.review_samplerequest`) approves — which places the zero-price sample order from
the samples' stock (`fenxiao.orders.services.samples`) in the same transaction: not enough sample
stock is 409 `sold_out` and the request stays requested — or rejects with a reason. Nobody reviews a
request of their own. The distributor may withdraw a request while it is requested.

    requested → approved | rejected | cancelled
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from fenxiao.addresses import selectors as address_selectors
from fenxiao.addresses.errors import AddressCode, AddressError
from fenxiao.common.duties import refuse_own
from fenxiao.common.transitions import StateMachine
from fenxiao.distribution.models import Distributor
from fenxiao.orders.services.samples import place_sample_order
from fenxiao.shop.purchase import purchasable_skus

from ..errors import SupplyCode, SupplyError
from ..models import SampleRequest, SampleRequestEvent
from . import selectors

R = SampleRequest.Status
MAX_QUANTITY = 99
REASON_MAX = 200

TRANSITIONS: dict[str, set[str]] = {
    R.REQUESTED: {R.APPROVED, R.REJECTED, R.CANCELLED},
    R.APPROVED: set(),
    R.REJECTED: set(),
    R.CANCELLED: set(),
}
SAMPLE_MACHINE = StateMachine(
    table=TRANSITIONS,
    labels=R,
    error=SupplyError,
    code=SupplyCode.INVALID_TRANSITION,
    event_model=SampleRequestEvent,
    event_fk="request",
    what=gettext_lazy("样品申请"),
    stamps={R.APPROVED: "decided_at", R.REJECTED: "decided_at"},
)


def _invalid(field: str, message: str, **detail) -> SupplyError:
    return SupplyError(SupplyCode.INVALID_SAMPLE_REQUEST, message, {"field": field, **detail}, status=400)


def _not_found(request_id) -> SupplyError:
    return SupplyError(SupplyCode.SAMPLE_REQUEST_NOT_FOUND, gettext("样品申请不存在"), {"request_id": request_id}, status=404)


@transaction.atomic
def request_sample(
    *, distributor: Distributor, sku_id: int, quantity: int, address_id: int, reason: str = "", actor=None
) -> SampleRequest:
    """A new request, within the month's quota (see the module)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise _invalid("quantity", gettext("数量须为 1–%(max)s 的整数") % {"max": MAX_QUANTITY}, max=MAX_QUANTITY)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise _invalid("reason", gettext("用途最多 %(max)s 字") % {"max": REASON_MAX}, max=REASON_MAX)
    sku = purchasable_skus([sku_id]).get(sku_id)
    if sku is None or getattr(sku, "is_bundle", False):
        raise SupplyError(SupplyCode.SAMPLE_NOT_SELLABLE, gettext("该商品暂不可申领样品"), {"sku_id": sku_id}, status=404)
    address = address_selectors.address_of(distributor.user, address_id)
    if address is None:
        raise AddressError(AddressCode.ADDRESS_NOT_FOUND, gettext("收货地址不存在"), {"address_id": address_id}, status=404)
    # One request of a distributor at a time: the quota check and the insert see the same used units.
    Distributor.objects.select_for_update().filter(pk=distributor.pk).values_list("pk", flat=True).get()
    quota = selectors.quota_of(distributor)
    if quota.used + quantity > quota.quota:
        raise SupplyError(
            SupplyCode.SAMPLE_QUOTA_EXCEEDED,
            gettext("超出本月样品额度：额度 %(quota)s 件，已用 %(used)s 件，本次申请 %(asked)s 件")
            % {"quota": quota.quota, "used": quota.used, "asked": quantity},
            {"quota": quota.quota, "used": quota.used, "asked": quantity, "month": quota.month_label},
            status=422,
        )
    request = SampleRequest.objects.create(
        distributor=distributor,
        sku=sku,
        quantity=quantity,
        reason=reason,
        month=quota.month,
        receiver=address.receiver,
        receiver_phone=address.phone,
        province=address.province,
        city=address.city,
        district=address.district,
        address_detail=address.detail,
    )
    SAMPLE_MACHINE.record(request, "", R.REQUESTED, actor=actor or distributor.user, note=reason)
    return request


def _locked(request_id: int) -> SampleRequest:
    request = SampleRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise _not_found(request_id)
    return request


@transaction.atomic
def withdraw_request(*, distributor: Distributor, request_id: int, actor=None) -> SampleRequest:
    """The distributor takes back its own request while it is requested (somebody else's is 404)."""
    request = _locked(request_id)
    if request.distributor_id != distributor.pk:
        raise _not_found(request_id)
    SAMPLE_MACHINE.move(request, R.CANCELLED, actor=actor or distributor.user, note=gettext("申请人撤销"))
    return request


def _distributor_user_id(request: SampleRequest) -> int:
    return Distributor.objects.filter(pk=request.distributor_id).values_list("user_id", flat=True).get()


@transaction.atomic
def approve_request(*, request_id: int, actor, note: str = "") -> SampleRequest:
    """Approve: the zero-price sample order is placed and paid now, from the samples' stock. Not
    enough of it is 409 `sold_out` and the request stays requested."""
    request = _locked(request_id)
    user_id = _distributor_user_id(request)
    refuse_own(actor, user_id, what=f"sample_request:{request.pk}")
    SAMPLE_MACHINE.check(request.status, R.APPROVED, obj=request)
    order = place_sample_order(
        user=Distributor.objects.select_related("user").get(pk=request.distributor_id).user,
        sku_id=request.sku_id,
        quantity=request.quantity,
        address={
            "receiver": request.receiver,
            "phone": request.receiver_phone,
            "province": request.province,
            "city": request.city,
            "district": request.district,
            "detail": request.address_detail,
        },
        actor=actor,
        note=gettext("样品申请 #%(id)s") % {"id": request.pk},
        request_id=request.pk,
    )
    request.order = order
    SAMPLE_MACHINE.move(
        request,
        R.APPROVED,
        actor=actor,
        note=(note or "").strip() or gettext("已批准，样品单 %(number)s") % {"number": order.number},
        extra_fields=["order"],
    )
    return request


@transaction.atomic
def reject_request(*, request_id: int, actor, reason: str) -> SampleRequest:
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", gettext("拒绝时必须填写原因"))
    request = _locked(request_id)
    refuse_own(actor, _distributor_user_id(request), what=f"sample_request:{request.pk}")
    request.reject_reason = reason[:REASON_MAX]
    SAMPLE_MACHINE.move(request, R.REJECTED, actor=actor, note=reason, extra_fields=["reject_reason"])
    return request
