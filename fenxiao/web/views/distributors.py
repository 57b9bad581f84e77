"""Becoming a distributor: the application page and the distributor center.

The center leads with money: the pending and available balances come from
`commissions.selectors.earnings_overview` (what the earnings page shows), and whether the 提现 button
works is asked of the withdrawals rules (`withdrawals.services.check_amount` and the verification and
channel checks a request goes through). Recent recruits come from `analytics.selectors.team_page`, so
their names and phones are masked exactly as on the team page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fenxiao.accounts.errors import AccountCode
from fenxiao.accounts.models import Consent
from fenxiao.accounts.services import (
    accept_agreements,
    agreement_versions,
    check_distributor_agreement,
    distributor_agreement_required,
)
from fenxiao.analytics import selectors as analytics_selectors
from fenxiao.commissions import selectors as commission_selectors
from fenxiao.common.errors import DomainError
from fenxiao.common.money import yuan
from fenxiao.distribution import selectors, services
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.growth import selectors as growth_selectors
from fenxiao.withdrawals import selectors as withdrawal_selectors
from fenxiao.withdrawals import services as withdrawal_services
from fenxiao.withdrawals.errors import WithdrawalCode, WithdrawalError

from .helpers import share_urls, shop_order_count, viewer_distributor

DOWNLINE_SHOWN = 20


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    own = selectors.distributor_for_user(request.user)
    form = {"real_name": own.real_name if own else "", "note": ""}
    error = ""
    agreement_updated = False
    if request.method == "POST":
        form = {
            "real_name": request.POST.get("real_name", "").strip(),
            "note": request.POST.get("note", "").strip(),
            "agree": "1" if request.POST.get("agree") == "1" else "",
        }
        try:
            if not form["agree"]:
                raise distributor_agreement_required()
            # the version the page showed when the applicant ticked the box, checked as the API checks it
            check_distributor_agreement(request.POST.get("agreement_version"))
            own = services.apply_for_distributor(user=request.user, real_name=form["real_name"], note=form["note"])
        except DomainError as exc:
            error = exc.message
            if exc.code == AccountCode.AGREEMENT_OUTDATED:
                # consent is to the text shown: show the new version and ask again
                agreement_updated = True
                form["agree"] = ""
        else:
            accept_agreements(request=request, user=own.user, documents=(Consent.Document.DISTRIBUTOR,))
            if own.is_approved:
                messages.success(request, _("恭喜，你已成为分销商！"))
                return redirect("web:distributor_center")
            messages.success(request, _("申请已提交"))
            return redirect("web:apply")
    if own is not None:
        inviter = own.inviter
    else:
        binding = selectors.active_binding(request.user)
        inviter = binding.distributor if binding is not None else None
    context = {
        "tab": "dc",
        "conf": services.get_settings(),
        "Admission": DistributionSettings.Admission,
        "Status": Distributor.Status,
        "own": own,
        "inviter": inviter,
        "can_apply": own is None or own.status == Distributor.Status.REJECTED,
        "form": form,
        "error": error,
        "agreement_version": agreement_versions()[Consent.Document.DISTRIBUTOR],
        "agreement_updated": agreement_updated,
    }
    return render(request, "web/apply.html", context)


def withdraw_gate(distributor) -> dict:
    """Whether the center's 提现 button leads anywhere, and if not, why: the checks a withdrawal request
    goes through (real-name verification, an open channel, debt, the minimum, today's cap), asked for
    the largest amount the distributor could request now. `fix_url` names the page that removes the
    obstacle, when there is one."""
    if withdrawal_selectors.kyc_for(distributor) is None:
        return {"enabled": False, "reason": _("提现前请先完成实名认证"), "fix_url": "web:kyc", "fix_label": _("去认证")}
    view = withdrawal_selectors.overview(distributor)
    conf = view.settings
    if not conf.enabled_channels:
        return {"enabled": False, "reason": _("平台暂未开放提现"), "fix_url": "", "fix_label": ""}
    try:
        withdrawal_services.check_amount(
            amount_fen=max(view.withdrawable_fen, conf.min_amount_fen),
            available_fen=view.available_fen,
            today_requested_fen=view.today_requested_fen,
            conf=conf,
        )
    except WithdrawalError as exc:
        reason = exc.message
        if exc.code == WithdrawalCode.INSUFFICIENT_BALANCE:
            reason = _("可提现余额满 ¥%(min)s 才能提现") % {"min": yuan(conf.min_amount_fen)}
        return {"enabled": False, "reason": reason, "fix_url": "", "fix_label": ""}
    return {"enabled": True, "reason": "", "fix_url": "", "fix_label": ""}


@login_required
def distributor_center(request: HttpRequest) -> HttpResponse:
    distributor = viewer_distributor(request)
    if distributor is None:
        return redirect("web:apply")
    recruits = analytics_selectors.team_page(distributor, kind="direct", sort="joined", page_size=DOWNLINE_SHOWN)
    context = {
        "tab": "dc",
        "distributor": distributor,
        "overview": commission_selectors.earnings_overview(distributor),
        "withdraw": withdraw_gate(distributor),
        "counts": selectors.downline_counts(distributor),
        "customers": selectors.bound_customer_count(distributor),
        "recruits": recruits,
        "downline_shown": DOWNLINE_SHOWN,
        "shop_order_count": shop_order_count(distributor),
        "unread_notices": growth_selectors.unread_count(request.user),
        **share_urls(request, distributor),
    }
    return render(request, "web/distributor_center.html", context)
