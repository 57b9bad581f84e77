"""发放给人群: a coupon to everybody of a segment (a distributor level, a member tier, or who bought in
the last N days), with the count shown before anything is issued."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Level
from fenxiao.members.models import MemberTier
from fenxiao.promotions.models import Coupon
from fenxiao.promotions.selectors import describe
from fenxiao.promotions.services import coupons

from ..access import console_view, context
from . import segments

KINDS = [
    ("distributor_level", _("分销商等级")),
    ("member_tier", _("会员等级")),
    ("bought_within_days", _("最近 N 天内购买过")),
]


class SegmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("发放人群"), choices=KINDS, widget=forms.RadioSelect)
    level = forms.ModelChoiceField(label=_("分销商等级"), queryset=Level.objects.order_by("rank"), required=False)
    tier = forms.ModelChoiceField(
        label=_("会员等级"), queryset=MemberTier.objects.filter(is_active=True).order_by("min_spend_fen", "sort"), required=False
    )
    days = forms.IntegerField(label=_("天数"), min_value=1, max_value=segments.MAX_DAYS, required=False)

    def segment(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        if kind == "distributor_level":
            if data.get("level") is None:
                raise forms.ValidationError(gettext("请选择分销商等级"))
            return {kind: data["level"].pk}
        if kind == "member_tier":
            if data.get("tier") is None:
                raise forms.ValidationError(gettext("请选择会员等级"))
            return {kind: data["tier"].pk}
        if not data.get("days"):
            raise forms.ValidationError(gettext("请填写天数"))
        return {kind: data["days"]}


@console_view(coupons.PERMISSION)
def issue_to_segment(request: HttpRequest, coupon_id: int) -> HttpResponse:
    """GET shows the form; POST with `preview` counts the people; POST with `confirm` issues."""
    coupon = get_object_or_404(Coupon, pk=coupon_id)
    form = SegmentForm(request.POST or None)
    count = None
    if request.method == "POST" and form.is_valid():
        try:
            segment = form.segment()
            if "confirm" in request.POST:
                result = segments.issue_to_segment(coupon_id=coupon.pk, segment=segment, actor=request.user)
                messages.success(
                    request,
                    gettext("已发放 %(issued)s 张；%(limit)s 人已达每人限领，%(left)s 人因发行总量用完未发放")
                    % {"issued": len(result.issued), "limit": len(result.at_limit), "left": len(result.not_issued)},
                )
                return redirect(reverse("admin:promotions_coupon_change", args=[coupon.pk]))
            count = len(segments.segment_user_ids(segment))
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
    return TemplateResponse(
        request,
        "console/coupons/segment.html",
        context(
            request,
            title=gettext("发放给人群：%(name)s") % {"name": coupon.name},
            coupon=coupon,
            description=describe(coupon),
            form=form,
            count=count,
            left=coupon.total_quantity - coupon.issued_count,
        ),
    )
