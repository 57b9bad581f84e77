"""A member's own distributor profile: applying, the share link, the downline and binding by share code."""

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from fenxiao.accounts import services as account_services
from fenxiao.accounts.auth import current_user, member_auth
from fenxiao.accounts.models import Consent
from fenxiao.common.phone import mask_name

from .. import selectors, services
from ..errors import DistributionCode, DistributionError
from ..models import Distributor
from ..schemas import AgreementOut, ApplyIn, BindIn, BindOut, DistributorOut, DownlinePage, ShareLinkOut

router = Router(tags=["分销 distribution"], auth=member_auth)


def share_url(request, distributor: Distributor, product_id: int | None = None) -> str:
    if product_id:
        path = reverse("web:share_product", args=[distributor.code, product_id])
    else:
        path = reverse("web:share_shop", args=[distributor.code])
    return request.build_absolute_uri(path)


def distributor_out(request, d: Distributor) -> dict:
    counts = selectors.downline_counts(d) if d.is_approved else selectors.DownlineCounts(0, 0)
    return {
        "id": d.pk,
        "code": d.code,
        "status": d.status,
        "status_label": d.get_status_display(),
        "level": d.level,
        "inviter_code": d.inviter.code if d.inviter_id else None,
        "applied_at": d.applied_at,
        "approved_at": d.approved_at,
        "reject_reason": d.reject_reason,
        "share_url": share_url(request, d) if d.is_approved else None,
        "direct_count": counts.direct,
        "indirect_count": counts.indirect,
    }


def my_distributor(request) -> Distributor:
    return selectors.require_distributor(current_user(request), statuses=None)


def approved_distributor(request) -> Distributor:
    return selectors.require_distributor(current_user(request))


@router.get("/agreement", response=AgreementOut, auth=None, summary="《分销商协议》的当前版本与全文地址")
def agreement(request):
    document = Consent.Document.DISTRIBUTOR
    return {
        "document": document.value,
        "version": account_services.agreement_versions()[document],
        "url": request.build_absolute_uri(reverse("web:agreement", args=[document.value])),
    }


@router.post(
    "/apply",
    response={201: DistributorOut},
    summary="申请成为分销商（需同意《分销商协议》）",
    description=(
        "agreement_version 为用户已阅读并同意的《分销商协议》版本（GET /distribution/agreement）。缺少时返回 400 "
        "`consent_required`，不是当前版本时返回 409 `agreement_outdated`（detail.current_version 为当前版本）。"
        "申请成功即记录同意的协议版本、时间与客户端地址。"
    ),
)
def apply(request, payload: ApplyIn):
    user = current_user(request)
    services.refuse_staff_distributor(user)  # who may apply at all comes before what the body says
    account_services.check_distributor_agreement(payload.agreement_version)
    d = services.apply_for_distributor(user=user, real_name=payload.real_name, note=payload.note)
    account_services.accept_agreements(request=request, user=d.user, documents=(Consent.Document.DISTRIBUTOR,))
    return Status(201, distributor_out(request, selectors.distributor_for_user(d.user)))


@router.get("/me", response=DistributorOut, summary="我的分销商资料")
def me(request):
    return distributor_out(request, my_distributor(request))


@router.get("/me/share-link", response=ShareLinkOut, summary="我的分享链接（可带商品）")
def my_share_link(request, product_id: int | None = Query(None, ge=1)):
    d = approved_distributor(request)
    qr = reverse("web:share_qr", args=[d.code])
    if product_id:
        qr += f"?p={product_id}"
    return {"url": share_url(request, d, product_id), "qr_png_url": request.build_absolute_uri(qr)}


class DownlineQuery(Schema):
    depth: int = 1
    page: int = 1
    page_size: int = 20


@router.get("/me/downline", response=DownlinePage, summary="我的下级（手机号脱敏）")
def my_downline(request, q: Query[DownlineQuery]):
    d = approved_distributor(request)
    if q.depth not in (1, 2):
        raise DistributionError(DistributionCode.INVALID_DEPTH, _("只能查看直推（1）或间推（2）下级"), {"depth": q.depth})
    page_size = max(1, min(q.page_size, 100))
    page = max(1, q.page)
    qs = selectors.direct_downline(d) if q.depth == 1 else selectors.indirect_downline(d)
    total = qs.count()
    rows = qs[(page - 1) * page_size : page * page_size]
    return {
        "depth": q.depth,
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [
            {
                "id": m.pk,
                "nickname": mask_name(m.user.nickname),
                "masked_phone": m.user.masked_phone,
                "level": m.level.name,
                "depth": q.depth,
                "joined_at": m.approved_at,
            }
            for m in rows
        ],
    }


@router.post("/bind", response=BindOut, summary="通过分享码绑定（小程序等客户端）")
def bind(request, payload: BindIn):
    d, outcome = services.open_share_link(code=payload.code, visitor=current_user(request), product_id=payload.product_id)
    if outcome in (DistributionCode.BINDING_SELF, DistributionCode.BINDING_LOOP):
        message = _("不能绑定到自己") if outcome == DistributionCode.BINDING_SELF else _("对方是你的下级，不能绑定（会形成循环）")
        raise DistributionError(DistributionCode(outcome), message, status=409)
    return {"distributor_code": d.code, "outcome": outcome}
