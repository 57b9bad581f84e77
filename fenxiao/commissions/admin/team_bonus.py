"""The team bonus in the admin: the read-only list, its "发放上月团队奖励" page, whose button starts the
console's background job that computes every partner's figures and submits them for finance's approval
(`propose_team_bonus`), and the plan simulator page (see `plan`)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.catalog.models import Category
from fenxiao.common import periods
from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.errors import DomainError
from fenxiao.common.money import format_rate, yuan

from .. import simulator
from ..models import TeamBonus
from ..services import team_bonus
from .plan import (
    SimulatorForm,
    apply_draft,
    can_change_plan,
    category_rows,
    comparison_rows,
    earner_rows,
    preview_signature,
    summary_rows,
)

#: A synthetic scenario of more orders than this is not computed on the page: the same form goes on to
#: the console's job start and the scenario runs in the background.
SYNTHETIC_PREVIEW_MAX = 5_000
SIMULATION_JOB = "commissions.simulation"
TEAM_BONUS_JOB = "commissions.team_bonus"


def background_simulation() -> HttpResponseRedirect:
    """307: the browser posts the same form to the console's job start, which shows the job's page."""
    response = HttpResponseRedirect(reverse("console:start_job", args=[SIMULATION_JOB]))
    response.status_code = 307
    return response


@admin.register(TeamBonus)
class TeamBonusAdmin(ConsoleAdmin):
    """Read-only: bonuses are created by `run_team_bonus` only."""

    change_list_template = "commissions/admin/teambonus_change_list.html"
    list_display = (
        "month",
        "distributor",
        "level_name",
        "rate",
        "team_sales",
        "order_count",
        "amount",
        "ledger_transaction_id",
        "created_at",
    )
    list_filter = ("month",)
    search_fields = ("distributor__code", "month")
    list_select_related = ("distributor__user",)
    readonly_fields = [f.name for f in TeamBonus._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # the plan's owners see the bonuses they pay
        return super().has_view_permission(request, obj) or can_change_plan(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or can_change_plan(request.user)

    @admin.display(description=_("奖励比例"))
    def rate(self, obj):
        return format_rate(obj.rate_bp)

    @admin.display(description=_("团队销售额（元）"), ordering="team_sales_fen")
    def team_sales(self, obj):
        return yuan(obj.team_sales_fen)

    @admin.display(description=_("奖励金额（元）"), ordering="amount_fen")
    def amount(self, obj):
        return yuan(obj.amount_fen)

    def get_urls(self):
        own = [
            path("simulator/", self.admin_site.admin_view(self.simulator_view), name="commissions_simulator"),
            path("run/", self.admin_site.admin_view(self.run_view), name="commissions_teambonus_run"),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_change_plan": can_change_plan(request.user), "previous_month": periods.previous_month()}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def _context(self, request, title: str, **more) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **more}

    # --- 发放上月团队奖励 ---

    def run_view(self, request):
        """What the run pays and the button that starts it: the figures of every partner are computed
        by the console's background job, whose page shows the proposal submitted for approval."""
        if not can_change_plan(request.user):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        period = team_bonus.month_period(None)
        return TemplateResponse(
            request,
            "commissions/admin/teambonus_run.html",
            self._context(
                request,
                gettext("发放上月团队奖励（%(month)s）") % {"month": period.label},
                period=period,
                paid=TeamBonus.objects.filter(month=period.label).exists(),
                job_kind=TEAM_BONUS_JOB,
            ),
        )

    # --- 佣金预测 ---

    def simulator_view(self, request):
        if not can_change_plan(request.user):
            raise PermissionDenied
        current = simulator.current_plan()
        categories = Category.objects.filter(pk__in=list(simulator.category_cost_ratios().keys())).order_by("sort_order", "id")
        form = SimulatorForm(request.POST or None, plan=current, categories=categories)
        result = signature = None
        if request.method == "POST" and form.is_valid():
            try:
                draft = form.draft()
                if "_save" in request.POST:
                    posted = request.POST.get("preview_hash", "")
                    if not posted or not constant_time_compare(posted, preview_signature(draft, request.user)):
                        form.add_error(None, gettext("请先点击“预测”并确认结果，再保存；预测之后修改过的方案需要重新预测"))
                    else:
                        changes = apply_draft(draft, current, actor=request.user)
                        for obj, line in changes:
                            self.log_change(request, obj, gettext("佣金方案：%(change)s") % {"change": line})
                        self.message_user(
                            request,
                            gettext("方案已保存：%(changes)s")
                            % {"changes": "；".join(line for _obj, line in changes) or gettext("无变化")},
                        )
                        return redirect("admin:commissions_simulator")
                else:
                    scope = form.scope_value()
                    if isinstance(scope, simulator.SyntheticScope) and scope.order_count > SYNTHETIC_PREVIEW_MAX:
                        return background_simulation()
                    result = simulator.simulate(draft, scope, current=current)
                    signature = preview_signature(draft, request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
        return TemplateResponse(
            request,
            "commissions/admin/simulator.html",
            self._context(
                request,
                gettext("佣金预测"),
                form=form,
                result=result,
                preview_hash=signature,
                rows=comparison_rows(result),
                category_rows=category_rows(result),
                earner_rows=earner_rows(result),
                summary=summary_rows(result),
            ),
        )
