"""The operator's distribution endpoints: applications and their review, levels and settings."""

from django.utils.translation import gettext as _
from ninja import Router, Status

from fenxiao.accounts.auth import current_user, member_auth, require_staff_perm

from .. import selectors, services
from ..errors import DistributionCode, DistributionError
from ..models import Level
from ..schemas import (
    ApplicationOut,
    DistributionLevelOut,
    DistributionSettingsIn,
    DistributionSettingsOut,
    DistributorOut,
    LevelIn,
    ReviewIn,
)
from .distributors import distributor_out

operator_router = Router(tags=["运营：分销 operator"], auth=member_auth)


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
    return distributor_out(request, d)


@operator_router.post("/distributors/{distributor_id}/reject", response=DistributorOut, summary="审核拒绝（须填原因）")
def reject(request, distributor_id: int, payload: ReviewIn):
    require_staff_perm(request, "distribution.change_distributor")
    d = services.reject_distributor(distributor_id=distributor_id, actor=current_user(request), reason=payload.reason)
    return distributor_out(request, d)


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
        raise DistributionError(DistributionCode.LEVEL_NOT_FOUND, _("等级不存在"), {"level_id": level_id}, status=404)
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
