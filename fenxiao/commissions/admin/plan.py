"""The commission plan simulator (佣金预测): the form prefilled with the plan in force, the signature
of a previewed draft, applying a draft, and the tables the page shows.

"预测" computes the draft next to the current plan (reads only) and hands back a signature of exactly
the draft that was shown; "保存方案" applies the draft through the distribution services, which refuse
what they refuse everywhere (a third commission level above all), and only when the submitted values
carry the signature of a preview of those same values. The page itself is served by the team bonus
admin (`team_bonus`).
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.forms import PercentField, YuanField
from fenxiao.common.money import format_rate, yuan
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import Level

from .. import simulator
from ..services import settlement

_PREVIEW_SALT = "fenxiao.commissions.simulator.preview"


def can_change_plan(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perms(simulator.PLAN_PERMISSIONS))


def preview_signature(plan: simulator.Plan, user) -> str:
    """Signs exactly the values that were previewed, for this operator."""
    return salted_hmac(_PREVIEW_SALT, f"{user.pk}:{plan.fingerprint()}").hexdigest()


# --- the form --------------------------------------------------------------------------------------


class SimulatorForm(forms.Form):
    commission_levels = forms.IntegerField(label=_("佣金层级数"), help_text=_("1 = 只有直推；2 = 直推 + 间推。最多两级。"))
    self_purchase_commission = forms.BooleanField(label=_("自购返佣"), required=False)
    ceiling_bp = PercentField(label=_("佣金上限（占毛利）"), help_text=_("每行佣金合计不超过毛利（实付 − 成本）的这一比例"))
    scope = forms.ChoiceField(
        label=_("预测范围"), choices=[("window", _("最近 N 天的真实订单")), ("synthetic", _("模拟场景"))], initial="window"
    )
    days = forms.IntegerField(label=_("最近天数"), initial=30, required=False)
    net_of_refunds = forms.BooleanField(label=_("扣除退款"), initial=True, required=False)
    order_count = forms.IntegerField(label=_("模拟订单数"), initial=1000, required=False)
    avg_order_yuan = YuanField(label=_("客单价"), initial=12000, required=False)
    indirect_share_bp = PercentField(label=_("有间推的订单占比"), initial=5000, required=False)
    seed = forms.IntegerField(label=_("随机种子"), initial=1, required=False, help_text=_("相同种子得到相同结果"))
    with_promotions = forms.BooleanField(
        label=_("按进行中的满减计算实付"),
        required=False,
        help_text=_("模拟订单先经过正在进行的满减送（全部商品或按类目），佣金按优惠后的实付计算"),
    )

    def __init__(self, *args, plan: simulator.Plan, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.categories = list(categories)
        self.level_rows = []
        for rates in plan.levels:
            names = {}
            for prefix, attr, label in (
                ("direct", "direct_rate_bp", gettext("直推")),
                ("indirect", "indirect_rate_bp", gettext("间推")),
                ("bonus", "team_bonus_bp", gettext("团队奖励")),
            ):
                name = f"{prefix}_{rates.level_id}"
                self.fields[name] = PercentField(label=f"{rates.name} {label}", initial=getattr(rates, attr))
                names[prefix] = name
            self.level_rows.append((rates, names))
        self.mix_names = []
        for category in self.categories:
            name = f"mix_{category.pk}"
            self.fields[name] = forms.IntegerField(label=category.name, initial=1, required=False, min_value=0)
            self.mix_names.append((category, name))
        self.fields["commission_levels"].initial = plan.commission_levels
        self.fields["self_purchase_commission"].initial = plan.self_purchase_commission
        self.fields["ceiling_bp"].initial = plan.ceiling_bp

    def level_rows_bound(self):
        """[(level rates, direct field, indirect field, bonus field)] for the template."""
        return [(rates, self[n["direct"]], self[n["indirect"]], self[n["bonus"]]) for rates, n in self.level_rows]

    def mix_fields(self):
        return [self[name] for _category, name in self.mix_names]

    def draft(self) -> simulator.Plan:
        """The draft plan, checked by the simulator and the distribution services (raises DomainError)."""
        data = self.cleaned_data
        levels = {
            rates.level_id: {
                "direct_rate_bp": data[names["direct"]],
                "indirect_rate_bp": data[names["indirect"]],
                "team_bonus_bp": data[names["bonus"]],
            }
            for rates, names in self.level_rows
        }
        return simulator.draft_plan(
            levels=levels,
            commission_levels=data["commission_levels"],
            self_purchase_commission=data["self_purchase_commission"],
            ceiling_bp=data["ceiling_bp"],
            base=self.plan,
        )

    def scope_value(self):
        data = self.cleaned_data
        if data["scope"] == "synthetic":
            mix = {category.pk: data.get(name) or 0 for category, name in self.mix_names}
            return simulator.SyntheticScope(
                order_count=data.get("order_count") or 0,
                avg_order_value_fen=data.get("avg_order_yuan") or 0,
                category_mix=mix or None,
                indirect_share_bp=data.get("indirect_share_bp") if data.get("indirect_share_bp") is not None else 5000,
                seed=data.get("seed") if data.get("seed") is not None else 1,
                with_promotions=bool(data.get("with_promotions")),
            )
        return simulator.WindowScope(days=data.get("days") or 0, net_of_refunds=bool(data.get("net_of_refunds")))


def apply_draft(draft: simulator.Plan, current: simulator.Plan, *, actor) -> list[tuple[object, str]]:
    """Save the draft's levels and settings through the distribution services, all or nothing.
    Returns what changed: (the saved object, one line)."""
    changes: list[tuple[object, str]] = []
    with transaction.atomic():
        changed = draft.changed_levels(current)
        objects = Level.objects.select_for_update().in_bulk([r.level_id for r in changed])
        for rates in changed:
            level = objects[rates.level_id]
            distribution.save_level(
                level=level,
                name=level.name,
                rank=level.rank,
                description=level.description,
                direct_rate_bp=rates.direct_rate_bp,
                indirect_rate_bp=rates.indirect_rate_bp,
                team_bonus_bp=rates.team_bonus_bp,
            )
            line = gettext("%(level)s：直推 %(direct)s，间推 %(indirect)s，团队奖励 %(bonus)s") % {
                "level": level.name,
                "direct": format_rate(rates.direct_rate_bp),
                "indirect": format_rate(rates.indirect_rate_bp),
                "bonus": format_rate(rates.team_bonus_bp),
            }
            changes.append((level, line))
        settings_changes = {}
        if draft.commission_levels != current.commission_levels:
            settings_changes["commission_levels"] = draft.commission_levels
        if draft.self_purchase_commission != current.self_purchase_commission:
            settings_changes["self_purchase_commission"] = draft.self_purchase_commission
        if settings_changes:
            conf = distribution.update_settings(actor=actor, **settings_changes)
            line = gettext("佣金层级数 %(levels)s，自购返佣%(self)s") % {
                "levels": draft.commission_levels,
                "self": gettext("开") if draft.self_purchase_commission else gettext("关"),
            }
            changes.append((conf, line))
        if draft.ceiling_bp != current.ceiling_bp:
            saved = settlement.set_margin_ceiling(actor=actor, ceiling_bp=draft.ceiling_bp)
            changes.append((saved, gettext("佣金上限：毛利的 %(rate)s") % {"rate": format_rate(draft.ceiling_bp)}))
    return changes


def comparison_rows(result: simulator.SimulationResult | None) -> list[tuple[str, str, str, str]]:
    """The comparison table: label, current, draft, change."""
    if result is None:
        return []
    c, d = result.current, result.draft

    def money(name):
        return yuan(getattr(c, name)), yuan(getattr(d, name)), yuan(result.delta[name])

    def share(name):
        return format_rate(getattr(c, name)), format_rate(getattr(d, name)), _signed_rate(result.delta[name])

    return [
        (gettext("佣金合计"), *money("commission_fen")),
        (gettext("直推佣金"), *money("direct_fen")),
        (gettext("间推佣金"), *money("indirect_fen")),
        (gettext("团队奖励（估算）"), *money("team_bonus_fen")),
        (gettext("佣金占销售额"), *share("commission_share_bp")),
        (gettext("佣金 + 团队奖励占销售额"), *share("payout_share_bp")),
        (gettext("健康度"), c.health_label, d.health_label, ""),
        (gettext("受上限削减的订单行"), str(c.capped_lines), str(d.capped_lines), str(result.delta["capped_lines"])),
        (gettext("上限削减金额"), *money("capped_cut_fen")),
        (gettext("平台毛利（实付 − 成本 − 佣金）"), *money("platform_margin_fen")),
    ]


def category_rows(result: simulator.SimulationResult | None) -> list[dict]:
    """Each category under the draft, with its margin under the current plan, ready to show."""
    if result is None:
        return []
    current = {c.category_id: c for c in result.current.categories}
    rows = []
    for c in result.draft.categories:
        before = current.get(c.category_id)
        rows.append(
            {
                "name": c.name,
                "sales": yuan(c.sales_fen),
                "cost": yuan(c.cost_fen),
                "commission": yuan(c.commission_fen),
                "margin": yuan(c.margin_fen),
                "margin_rate": _signed_rate(c.margin_rate_bp),
                "margin_share": _signed_rate(c.margin_share_bp),
                "current_margin": yuan(before.margin_fen) if before else "",
                "current_margin_rate": _signed_rate(before.margin_rate_bp) if before else "",
            }
        )
    return rows


def earner_rows(result: simulator.SimulationResult | None) -> list[dict]:
    if result is None:
        return []
    return [
        {
            "code": e.code,
            "level": e.level,
            "masked_phone": e.masked_phone,
            "direct": yuan(e.direct_fen),
            "indirect": yuan(e.indirect_fen),
            "total": yuan(e.total_fen),
        }
        for e in result.draft.top_earners
    ]


def summary_rows(result: simulator.SimulationResult | None) -> list[tuple[str, str]]:
    if result is None:
        return []
    return [
        (gettext("订单数"), str(result.order_count)),
        (gettext("订单行数"), str(result.line_count)),
        (gettext("GMV（实付，不含运费）"), yuan(result.gmv_fen)),
        (gettext("已退款"), yuan(result.refunded_fen)),
        (gettext("计算基数（销售额）"), yuan(result.sales_fen)),
        (gettext("成本"), yuan(result.cost_fen)),
    ]


def _signed_rate(rate_bp: int) -> str:
    return ("-" if rate_bp < 0 else "") + format_rate(abs(rate_bp))
