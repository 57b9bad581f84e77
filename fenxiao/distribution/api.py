from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from fenxiao.common.api_auth import current_user, member_auth, require_staff_perm
from fenxiao.common.errors import DomainError
from fenxiao.common.phone import mask_name

from . import selectors, services
from .errors import DistributionError
from .models import Distributor, Level
from .schemas import (
    ApplicationOut,
    ApplyIn,
    BindIn,
    BindOut,
    DistributionLevelOut,
    DistributionSettingsIn,
    DistributionSettingsOut,
    DistributorOut,
    DownlinePage,
    LevelIn,
    ReviewIn,
    ShareLinkOut,
)

router = Router(tags=["分销 distribution"], auth=member_auth)
operator_router = Router(tags=["运营：分销 operator"], auth=member_auth)


def share_url(request, distributor: Distributor, product_id: int | None = None) -> str:
    if product_id:
        path = reverse("web:share_product", args=[distributor.code, product_id])
    else:
        path = reverse("web:share_shop", args=[distributor.code])
    return request.build_absolute_uri(path)


def _distributor(request, d: Distributor) -> dict:
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


def _my_distributor(request) -> Distributor:
    d = selectors.distributor_for_user(current_user(request))
    if d is None:
        raise DistributionError("not_distributor", _("你还不是分销商"), status=404)
    return d


def _approved(request) -> Distributor:
    d = _my_distributor(request)
    if not d.is_approved:
        raise DistributionError("not_distributor", _("你的分销商资格尚未生效"), {"status": d.status}, status=403)
    return d


@router.post("/apply", response={201: DistributorOut}, summary="申请成为分销商")
def apply(request, payload: ApplyIn):
    d = services.apply_for_distributor(user=current_user(request), real_name=payload.real_name, note=payload.note)
    return Status(201, _distributor(request, selectors.distributor_for_user(d.user)))


@router.get("/me", response=DistributorOut, summary="我的分销商资料")
def me(request):
    return _distributor(request, _my_distributor(request))


@router.get("/me/share-link", response=ShareLinkOut, summary="我的分享链接（可带商品）")
def my_share_link(request, product_id: int | None = Query(None, ge=1)):
    d = _approved(request)
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
    d = _approved(request)
    if q.depth not in (1, 2):
        raise DistributionError("invalid_depth", _("只能查看直推（1）或间推（2）下级"), {"depth": q.depth})
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
    if outcome in ("binding_self", "binding_loop"):
        raise DistributionError(
            outcome, _("不能绑定到自己") if outcome == "binding_self" else _("对方是你的下级，不能绑定（会形成循环）"), status=409
        )
    return {"distributor_code": d.code, "outcome": outcome}


# --- operator ---------------------------------------------------------------------------------


@operator_router.get("/applications", response=list[ApplicationOut], summary="待审核申请")
def applications(request):
    require_staff_perm(request, "distribution.view_distributor")
    return [
        {
            "id": d.pk,
            "code": d.code,
            "status": d.status,
            "nickname": d.user.nickname,
            "masked_phone": d.user.masked_phone,
            "real_name": d.real_name,
            "note": d.apply_note,
            "inviter_code": d.inviter.code if d.inviter_id else None,
            "applied_at": d.applied_at,
        }
        for d in selectors.pending_applications()[:200]
    ]


@operator_router.post("/distributors/{distributor_id}/approve", response=DistributorOut, summary="审核通过")
def approve(request, distributor_id: int, payload: ReviewIn):
    require_staff_perm(request, "distribution.change_distributor")
    d = services.approve_distributor(distributor_id=distributor_id, actor=current_user(request), reason=payload.reason)
    return _distributor(request, d)


@operator_router.post("/distributors/{distributor_id}/reject", response=DistributorOut, summary="审核拒绝（须填原因）")
def reject(request, distributor_id: int, payload: ReviewIn):
    require_staff_perm(request, "distribution.change_distributor")
    d = services.reject_distributor(distributor_id=distributor_id, actor=current_user(request), reason=payload.reason)
    return _distributor(request, d)


@operator_router.get("/levels", response=list[DistributionLevelOut], summary="分销等级")
def levels(request):
    require_staff_perm(request, "distribution.view_level")
    return list(Level.objects.all())


@operator_router.post("/levels", response={201: DistributionLevelOut}, summary="新建等级")
def create_level(request, payload: LevelIn):
    require_staff_perm(request, "distribution.add_level")
    data = payload.model_dump()
    return Status(201, services.save_level(**data))


@operator_router.put("/levels/{level_id}", response=DistributionLevelOut, summary="修改等级")
def update_level(request, level_id: int, payload: LevelIn):
    require_staff_perm(request, "distribution.change_level")
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise DomainError("not_found", _("等级不存在"), {"level_id": level_id}, status=404)
    return services.save_level(level=level, **payload.model_dump())


@operator_router.get("/settings", response=DistributionSettingsOut, summary="分销设置")
def get_settings(request):
    require_staff_perm(request, "distribution.view_distributionsettings")
    return services.get_settings()


@operator_router.patch("/settings", response=DistributionSettingsOut, summary="修改分销设置（佣金层级最多 2）")
def patch_settings(request, payload: DistributionSettingsIn):
    require_staff_perm(request, "distribution.change_distributionsettings")
    changes = payload.model_dump(exclude_unset=True)
    return services.update_settings(actor=current_user(request), **changes)
