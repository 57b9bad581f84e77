"""Leaderboard prizes in the admin: the prizes (saved through the service, with its overlap and reward
checks), the read-only closes with their awards inline and the awards list, and the button on the
closes list that starts, as a console job, the close of the most recent ended period of a board (or a
named one)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyAdmin, ReadOnlyInline
from fenxiao.common.money import yuan

from .. import services
from ..errors import GrowthError
from ..models import LeaderboardAward, LeaderboardClose, LeaderboardPrize
from ..selectors import describe_prize, rank_range

CLOSE_PERMISSION = "growth.add_leaderboardclose"
PRIZE_FIELDS = ["board", "period_kind", "rank_from", "rank_to", "reward", "cash_fen", "gift_name", "points", "is_enabled"]


class LeaderboardPrizeForm(forms.ModelForm):
    class Meta:
        model = LeaderboardPrize
        fields = PRIZE_FIELDS

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_prize(
                board=data.get("board"),
                period_kind=data.get("period_kind"),
                rank_from=data.get("rank_from"),
                rank_to=data.get("rank_to"),
                reward=data.get("reward"),
                cash_fen=data.get("cash_fen") or 0,
                gift_name=data.get("gift_name") or "",
                points=data.get("points") or 0,
                is_enabled=data.get("is_enabled", False),
                prize_id=self.instance.pk,
            )
        except GrowthError as exc:
            raise ValidationError(exc.message) from exc
        return data


@admin.register(LeaderboardPrize)
class LeaderboardPrizeAdmin(ConsoleAdmin):
    form = LeaderboardPrizeForm
    list_display = ("board", "period_kind", "ranks", "prize_text", "is_enabled", "updated_at", "updated_by")
    list_filter = ("board", "period_kind", "reward", "is_enabled")
    list_select_related = ("updated_by",)
    actions = ["disable_selected"]

    @admin.display(description=_("名次"), ordering="rank_from")
    def ranks(self, obj):
        return rank_range(obj.rank_from, obj.rank_to)

    @admin.display(description=_("奖品"))
    def prize_text(self, obj):
        return describe_prize(obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        prize = services.save_prize(
            **{name: data.get(name) for name in ("board", "period_kind", "rank_from", "rank_to", "reward")},
            cash_fen=data.get("cash_fen") or 0,
            gift_name=data.get("gift_name") or "",
            points=data.get("points") or 0,
            is_enabled=bool(data.get("is_enabled")),
            prize_id=obj.pk,
            actor=request.user,
        )
        obj.pk = prize.pk

    @admin.action(description=_("停用所选奖品"), permissions=["change"])
    def disable_selected(self, request, queryset):
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.disable_prize(prize_id=pk, actor=request.user)
        self.message_user(request, gettext("已停用所选奖品"), messages.SUCCESS)


class LeaderboardAwardInline(ReadOnlyInline):
    model = LeaderboardAward
    fields = ("rank", "distributor", "value", "reward", "prize_text", "points")
    readonly_fields = fields

    @admin.display(description=_("奖品"))
    def prize_text(self, obj):
        return describe_prize(obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("distributor__user")


@admin.register(LeaderboardClose)
class LeaderboardCloseAdmin(ReadOnlyAdmin):
    inlines = [LeaderboardAwardInline]
    list_display = ("period", "board", "period_kind", "winners", "cash_text", "ledger_transaction_id", "actor", "closed_at")
    list_filter = ("board", "period_kind")
    search_fields = ("period",)
    list_select_related = ("actor",)
    readonly_fields = ("board", "period_kind", "period", "winners", "cash_fen", "ledger_transaction_id", "actor", "closed_at")
    fields = readonly_fields
    change_list_template = "admin/growth/leaderboardclose/change_list.html"

    @admin.display(description=_("现金合计"), ordering="cash_fen")
    def cash_text(self, obj):
        return f"¥{yuan(obj.cash_fen)}"

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_close": request.user.has_perm(CLOSE_PERMISSION),
            "boards": LeaderboardPrize.Board.choices,
            "period_kinds": LeaderboardPrize.PeriodKind.choices,
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})


@admin.register(LeaderboardAward)
class LeaderboardAwardAdmin(ReadOnlyAdmin):
    list_display = ("close", "rank", "distributor", "value", "reward", "prize_text", "created_at")
    list_filter = ("reward", "close__board", "close__period_kind", "close__period")
    search_fields = ("distributor__code", "distributor__user__phone", "close__period")
    list_select_related = ("close", "distributor__user")

    @admin.display(description=_("奖品"))
    def prize_text(self, obj):
        return describe_prize(obj)
