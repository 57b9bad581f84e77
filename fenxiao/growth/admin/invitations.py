"""The invitation ladder's rungs (saved through the service, with the warning on head-count rungs) and
the read-only list of rewards given."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin, ReadOnlyAdmin

from .. import services
from ..errors import GrowthError
from ..models import InvitationReward, InvitationRung


class InvitationRungForm(forms.ModelForm):
    class Meta:
        model = InvitationRung
        fields = ["invites", "basis", "reward", "cash_fen", "gift_name", "points", "is_enabled"]

    def clean(self):
        data = super().clean()
        try:
            services.validate_rung(
                invites=data.get("invites"),
                basis=data.get("basis"),
                reward=data.get("reward"),
                cash_fen=data.get("cash_fen") or 0,
                gift_name=data.get("gift_name") or "",
                points=data.get("points") or 0,
            )
        except GrowthError as exc:
            raise ValidationError(exc.message) from exc
        return data


@admin.register(InvitationRung)
class InvitationRungAdmin(ConsoleAdmin):
    """The ladder, saved through the service; a rung that counts heads without purchases is flagged
    in the list and warned about on every save."""

    form = InvitationRungForm
    list_display = (
        "invites",
        "basis",
        "reward",
        "cash_fen",
        "gift_name",
        "points",
        "is_enabled",
        "heads_only_flag",
        "approval_flag",
    )
    list_filter = ("basis", "reward", "is_enabled")

    @admin.display(description=_("财务审批"))
    def approval_flag(self, obj):
        if obj.reward != InvitationRung.Reward.CASH:
            return ""
        return gettext("待财务审批") if obj.cash_awaiting_approval else gettext("已批准")

    @admin.display(description=_("风险提示"))
    def heads_only_flag(self, obj):
        return gettext("只看人头") if obj.heads_only and obj.is_enabled else ""

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        rung, warning = services.save_rung(
            invites=data["invites"],
            basis=data["basis"],
            reward=data["reward"],
            cash_fen=data.get("cash_fen") or 0,
            gift_name=data.get("gift_name") or "",
            points=data.get("points") or 0,
            is_enabled=data["is_enabled"],
            rung_id=obj.pk,
            actor=request.user,
        )
        obj.pk = rung.pk
        if warning:
            messages.warning(request, warning)

    def changelist_view(self, request, extra_context=None):
        for rung in InvitationRung.objects.filter(is_enabled=True, basis=InvitationRung.Basis.HEADS):
            messages.warning(request, services.heads_only_warning(rung))
        return super().changelist_view(request, extra_context)


@admin.register(InvitationReward)
class InvitationRewardAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "rung", "reward", "cash_fen", "gift_name", "points", "invites_counted")
    list_filter = ("reward",)
    list_select_related = ("distributor", "rung")


# Consumers invited to become distributors, and the conversion page, live in their own module; so do
# the leaderboard prizes with their closes and awards.
