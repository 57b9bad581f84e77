"""Campaign landing pages (大促 / 主题日) — reached directly or through a distributor's link, which binds
the visitor exactly like the shop link — with 领取 buttons for the campaign's coupons; and consumer
referral (老带新): my referral page with its link and QR code, and the link itself, which remembers the
code until the visitor signs up.

Reads go through the promotions selectors, writes through its services; a refusal comes back to the
page as the service's message.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fenxiao.common.errors import DomainError
from fenxiao.distribution import poster
from fenxiao.distribution.models import Distributor
from fenxiao.promotions import selectors_campaigns as campaign_selectors
from fenxiao.promotions.errors import PromotionCode, PromotionError
from fenxiao.promotions.models import RunStatus
from fenxiao.promotions.services import coupons, referrals

from .helpers import not_found, open_link, safe_next, viewer_distributor

QR_MAX_AGE = 60 * 60
QR_SIZE = 336


def _countdown(delta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分钟") % {"m": max(1, minutes)}


def _landing(request: HttpRequest, campaign_id: int, shop: Distributor | None) -> HttpResponse:
    now = timezone.now()
    page = campaign_selectors.landing(campaign_id, user=request.user, now=now)
    if page is None:
        return not_found(request, _("活动不存在或已下线"))
    context = {
        "tab": "home",
        "page": page,
        "campaign": page.campaign,
        "shop": shop,
        "countdown": _countdown((page.opens_at if not page.is_open else page.campaign.ends_at) - now),
        "here": request.get_full_path(),
    }
    viewer = viewer_distributor(request)
    if viewer is not None and page.phase != campaign_selectors.ENDED:
        context["share_link"] = request.build_absolute_uri(reverse("web:share_campaign", args=[viewer.code, page.campaign.pk]))
    return render(request, "web/campaign.html", context)


@require_GET
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _landing(request, campaign_id, shop=None)


@require_GET
def share_campaign(request: HttpRequest, code: str, campaign_id: int) -> HttpResponse:
    """A distributor's link to a campaign: counts the visit and binds the visitor as the shop link
    does, then shows the landing page."""
    if campaign_selectors.visible_campaign(campaign_id) is None:
        return not_found(request, _("活动不存在或已下线"))
    try:
        distributor = open_link(request, code)
    except DomainError as exc:
        if exc.status == 404:
            return not_found(request, exc.message)
        messages.error(request, exc.message)
        return redirect("web:campaign", campaign_id=campaign_id)
    return _landing(request, campaign_id, shop=distributor)


@login_required
@require_POST
def campaign_claim(request: HttpRequest, campaign_id: int, coupon_id: int) -> HttpResponse:
    """领取 on a landing page: only a coupon of this campaign, only while it is open to the visitor."""
    back = safe_next(request, reverse("web:campaign", args=[campaign_id]))
    page = campaign_selectors.landing(campaign_id, user=request.user)
    if page is None or coupon_id not in {entry.coupon.pk for entry in page.coupons}:
        return not_found(request, _("活动不存在或已下线"))
    if not page.is_open:
        messages.error(request, _("活动还没开始，开始后再来领取") if page.phase != campaign_selectors.ENDED else _("活动已结束"))
        return redirect(back)
    try:
        if page.phase == campaign_selectors.EARLY:
            _claim_early(request, page, coupon_id)
        else:
            coupons.claim(user=request.user, coupon_id=coupon_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("领取成功，可在“我的优惠券”中查看"))
    return redirect(back)


def _claim_early(request: HttpRequest, page, coupon_id: int) -> None:
    """活动优先权: before the claim window opens for everyone, a distributor of an early-access level
    takes one through the issue service (the total and the per-person limit hold as for a claim)."""
    entry = next(entry for entry in page.coupons if entry.coupon.pk == coupon_id)
    if entry.coupon.status != RunStatus.ACTIVE or not entry.coupon.claimable:
        raise PromotionError(PromotionCode.COUPON_UNAVAILABLE, _("这张优惠券不能领取"), {"coupon_id": coupon_id})
    result = coupons.issue(
        coupon_id=coupon_id,
        user_ids=[request.user.pk] if request.user.pk else [],
        actor=request.user,
        source=coupons.Source.CLAIM,
        source_reference=f"campaign:{page.campaign.pk}",
    )
    if result.at_limit:
        raise PromotionError(
            PromotionCode.PER_PERSON_LIMIT, _("每人限领 %(limit)s 张，你已经领过了") % {"limit": entry.coupon.per_person_limit}
        )
    if not result.issued:
        raise PromotionError(PromotionCode.COUPON_SOLD_OUT, _("这张优惠券已经领完了"), {"coupon_id": coupon_id})


# --- consumer referral ------------------------------------------------------------------------------


@login_required
@require_GET
def referral(request: HttpRequest) -> HttpResponse:
    code = referrals.code_for(request.user)
    conf = referrals.referral_settings()
    context = {
        "tab": "me",
        "overview": campaign_selectors.referral_overview(request.user, code),
        "conf": conf,
        "share_link": request.build_absolute_uri(reverse("web:referral_link", args=[code.code])),
        "share_qr": reverse("web:referral_qr"),
    }
    return render(request, "web/referral.html", context)


@login_required
@require_GET
def referral_qr(request: HttpRequest) -> HttpResponse:
    code = referrals.code_for(request.user)
    image = poster.qr_image(request.build_absolute_uri(reverse("web:referral_link", args=[code.code])), QR_SIZE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = f"private, max-age={QR_MAX_AGE}"
    return response


@require_GET
def referral_link(request: HttpRequest, code: str) -> HttpResponse:
    """A friend's invitation: remember the code and go to the sign-up page (a signed-in visitor is no
    newcomer and simply goes to the shop)."""
    if request.user.is_authenticated:
        return redirect("web:home")
    normalized = referrals.normalize_code(code)
    if normalized and request.session.get(referrals.SESSION_KEY) != normalized:
        request.session[referrals.SESSION_KEY] = normalized
    return redirect("web:register")
