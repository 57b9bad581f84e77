"""Operator admin for the distributor network. Every write goes through distribution.services, so
the admin refuses exactly what the API refuses (a third commission level above all)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.catalog.models import Product
from fenxiao.catalog.selectors import shelf_products
from fenxiao.common.admin import ReadOnlyAdmin, ReadOnlyInline
from fenxiao.common.money import format_rate

from . import poster, selectors_shop, services, services_shop
from .errors import DistributionError
from .models import (
    Binding,
    BindingEvent,
    DistributionSettings,
    Distributor,
    DistributorEvent,
    DistributorShop,
    Level,
    ShopFeature,
    Visit,
)


def _as_validation_error(exc: DistributionError) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


class DistributionSettingsForm(forms.ModelForm):
    class Meta:
        model = DistributionSettings
        fields = (
            "admission_mode",
            "threshold_fen",
            "binding_policy",
            "binding_days",
            "commission_levels",
            "self_purchase_commission",
            "staff_may_distribute",
        )

    def clean_commission_levels(self):
        try:
            return services.validate_commission_levels(self.cleaned_data.get("commission_levels"))
        except DistributionError as exc:
            raise _as_validation_error(exc) from exc

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_settings_changes({k: data[k] for k in self.Meta.fields if k in data})
        except DistributionError as exc:
            raise _as_validation_error(exc) from exc
        return data


@admin.register(DistributionSettings)
class DistributionSettingsAdmin(admin.ModelAdmin):
    form = DistributionSettingsForm
    list_display = ("__str__", "admission_mode", "binding_policy", "binding_days", "commission_levels", "updated_at")
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request):
        return not DistributionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        services.get_settings()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        changes = {k: form.cleaned_data[k] for k in DistributionSettingsForm.Meta.fields}
        saved = services.update_settings(actor=request.user, **changes)
        obj.pk = saved.pk


class LevelForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ("name", "rank", "direct_rate_bp", "indirect_rate_bp", "team_bonus_bp", "description")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.validate_level_values(
                name=data["name"],
                rank=data["rank"],
                direct_rate_bp=data["direct_rate_bp"],
                indirect_rate_bp=data["indirect_rate_bp"],
                team_bonus_bp=data.get("team_bonus_bp") or 0,
            )
        except DistributionError as exc:
            raise _as_validation_error(exc) from exc
        return data


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    form = LevelForm
    list_display = ("name", "rank", "direct_rate", "indirect_rate", "team_bonus", "description")
    ordering = ("rank",)

    @admin.display(description=_("直推佣金"), ordering="direct_rate_bp")
    def direct_rate(self, obj):
        return format_rate(obj.direct_rate_bp)

    @admin.display(description=_("间推佣金"), ordering="indirect_rate_bp")
    def indirect_rate(self, obj):
        return format_rate(obj.indirect_rate_bp)

    @admin.display(description=_("团队奖励"))
    def team_bonus(self, obj):
        return format_rate(obj.team_bonus_bp)

    def save_model(self, request, obj, form, change):
        data = {k: form.cleaned_data[k] for k in LevelForm.Meta.fields}
        try:
            saved = services.save_level(level=obj if change else None, **data)
        except DistributionError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = saved.pk


class ReviewActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=200)


class DistributorEventInline(admin.TabularInline):
    model = DistributorEvent
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DistributorForm(forms.ModelForm):
    class Meta:
        model = Distributor
        fields = ("level",)


@admin.register(Distributor)
class DistributorAdmin(admin.ModelAdmin):
    form = DistributorForm
    action_form = ReviewActionForm
    list_display = (
        "code", "member", "masked_phone", "level", "status", "inviter", "depth", "applied_at", "approved_at", "staff_flag",
    )
    list_filter = ("status", "level", "user__is_staff")
    search_fields = ("code", "user__phone", "user__nickname", "real_name")
    list_select_related = ("user", "level", "inviter")
    readonly_fields = (
        "user",
        "code",
        "status",
        "inviter",
        "upline",
        "depth",
        "real_name",
        "apply_note",
        "reject_reason",
        "applied_at",
        "approved_at",
        "status_changed_at",
    )
    fields = ("level", *readonly_fields)
    inlines = [DistributorEventInline]
    actions = ["approve", "reject", "suspend", "reinstate"]

    def has_add_permission(self, request):
        return False  # distributors apply from the pages or the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("会员"))
    def member(self, obj):
        return obj.user.nickname

    @admin.display(description=_("员工账号"))
    def staff_flag(self, obj):
        """Flags a distributor whose account became staff: allowed only when the settings say so."""
        if not obj.user.is_staff:
            return ""
        if services.get_settings().staff_may_distribute:
            return gettext("员工")
        return gettext("⚠ 员工（设置不允许）")

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.user.masked_phone

    @admin.display(description=_("上级链"))
    def upline(self, obj):
        from .selectors import upline_chain

        return " → ".join(d.code for d in upline_chain(obj)) or "—"

    def save_model(self, request, obj, form, change):
        level = form.cleaned_data["level"]
        fresh = Distributor.objects.select_related("level").get(pk=obj.pk)
        services.assign_level(distributor=fresh, level=level, actor=request.user)

    def _run(self, request, queryset, func, label, needs_reason=False):
        reason = request.POST.get("reason", "").strip()
        if needs_reason and not reason:
            self.message_user(request, gettext("%(action)s需要在“原因”中填写理由") % {"action": label}, messages.ERROR)
            return
        done = 0
        for distributor in queryset:
            try:
                func(distributor_id=distributor.pk, actor=request.user, reason=reason)
                done += 1
            except DistributionError as exc:
                self.message_user(request, gettext("%(code)s：%(message)s") % {"code": distributor.code, "message": exc.message}, messages.WARNING)
        if done:
            self.message_user(request, ngettext("%(action)s %(count)d 个分销商", "%(action)s %(count)d 个分销商", done) % {"action": label, "count": done})

    @admin.action(description=_("审核通过"))
    def approve(self, request, queryset):
        self._run(request, queryset, services.approve_distributor, gettext("已通过"))

    @admin.action(description=_("审核拒绝（填写原因）"))
    def reject(self, request, queryset):
        self._run(request, queryset, services.reject_distributor, gettext("已拒绝"), needs_reason=True)

    @admin.action(description=_("暂停（填写原因）"))
    def suspend(self, request, queryset):
        self._run(request, queryset, services.suspend_distributor, gettext("已暂停"), needs_reason=True)

    @admin.action(description=_("恢复"))
    def reinstate(self, request, queryset):
        self._run(request, queryset, services.reinstate_distributor, gettext("已恢复"))


@admin.register(Binding)
class BindingAdmin(ReadOnlyAdmin):
    list_display = ("customer", "distributor", "bound_at", "expires_at", "source")
    search_fields = ("customer__phone", "customer__nickname", "distributor__code")
    list_select_related = ("customer", "distributor__user")


@admin.register(BindingEvent)
class BindingEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "action", "old_distributor", "new_distributor", "source", "expires_at")
    list_filter = ("action",)
    search_fields = ("customer__phone", "customer__nickname", "new_distributor__code", "old_distributor__code")
    list_select_related = ("customer", "old_distributor", "new_distributor")


@admin.register(DistributorEvent)
class DistributorEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status",)
    list_select_related = ("distributor__user", "actor")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "distributor", "product_id", "visitor", "channel")
    list_filter = ("channel",)
    list_select_related = ("distributor", "visitor")


# --- distributors' shops (一键开店) ---------------------------------------------------------------


class ShopFeatureInline(ReadOnlyInline):
    """The featured products in the shop's order; the distributor's picker is the one place that
    changes them, so here they are only shown, with whether each still shows (on shelf)."""

    model = ShopFeature
    fields = ("position", "product_id", "product", "shown")
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                product_name=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("name")[:1]),
                on_shelf=Exists(shelf_products().filter(pk=OuterRef("product_id"))),
            )
            .order_by("position", "id")
        )

    @admin.display(description=_("商品名称"))
    def product(self, obj):
        if obj.product_name is None:
            return gettext("（商品已删除）")
        return format_html('<a href="{}">{}</a>', reverse("admin:catalog_product_change", args=[obj.product_id]), obj.product_name)

    @admin.display(description=_("在店内展示"), boolean=True)
    def shown(self, obj):
        return obj.on_shelf


class ShopForm(forms.ModelForm):
    """Name and welcome line, screened by services_shop exactly as in the distributor's editor (the
    length too: the form adds no limits of its own, so the message is always the editor's)."""

    name = forms.CharField(label=_("店名"), required=False, strip=False)
    welcome = forms.CharField(label=_("欢迎语"), required=False, strip=False)

    class Meta:
        model = DistributorShop
        fields = ("name", "welcome")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["name"], data["welcome"] = services_shop.clean_shop_text(data.get("name"), data.get("welcome"))
        except DistributionError as exc:
            field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
            self.add_error(field if field in self.fields else None, _as_validation_error(exc))
        return data


class ModerationActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=services_shop.MODERATION_REASON_MAX)


class ModerationForm(forms.Form):
    fields_to_reset = forms.MultipleChoiceField(
        label=_("重置为默认"),
        choices=[
            ("name", _("店名（恢复为“昵称的小店”）")),
            ("welcome", _("欢迎语（清空）")),
            ("avatar", _("店铺头像（删除）")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=services_shop.MODERATION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("记录在小店的历史中"),
    )


class AvatarFilter(admin.SimpleListFilter):
    title = _("店铺头像")
    parameter_name = "avatar"

    def lookups(self, request, model_admin):
        return (("yes", _("有")), ("no", _("无")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(avatar="")
        if self.value() == "no":
            return queryset.filter(avatar="")
        return queryset


class WelcomeFilter(AvatarFilter):
    title = _("欢迎语")
    parameter_name = "welcome"

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(welcome="")
        if self.value() == "no":
            return queryset.filter(welcome="")
        return queryset


class FeaturedFilter(AvatarFilter):
    title = _("推荐商品")
    parameter_name = "featured"

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            has = Exists(ShopFeature.objects.filter(shop=OuterRef("pk")))
            return queryset.filter(has) if self.value() == "yes" else queryset.exclude(has)
        return queryset


@admin.register(DistributorShop)
class DistributorShopAdmin(admin.ModelAdmin):
    """Operators look after the shops distributors open: edit the text (screened like the editor),
    reset what breaks the rules with a reason (services_shop.moderate_shop), see the share page and
    the poster. Shops are opened by distributors and never deleted here."""

    form = ShopForm
    action_form = ModerationActionForm
    list_display = ("distributor_code", "member", "masked_phone", "name", "welcome", "feature_count", "has_avatar", "updated_at")
    list_display_links = ("distributor_code", "name")
    list_filter = ("distributor__status", AvatarFilter, WelcomeFilter, FeaturedFilter)
    search_fields = ("distributor__code", "distributor__user__phone", "name")
    list_select_related = ("distributor__user",)
    ordering = ("-updated_at", "-id")
    readonly_fields = (
        "distributor_link",
        "member",
        "masked_phone",
        "distributor_status",
        "avatar_preview",
        "updated_at",
        "share_page",
        "poster_preview",
        "moderation",
    )
    fieldsets = (
        (_("分销商"), {"fields": ("distributor_link", "member", "masked_phone", "distributor_status")}),
        (_("小店资料"), {"fields": ("name", "welcome", "avatar_preview", "updated_at")}),
        (_("分享"), {"fields": ("share_page", "poster_preview")}),
        (_("违规处理"), {"fields": ("moderation",)}),
    )
    inlines = [ShopFeatureInline]
    actions = ["reset_name", "reset_welcome", "reset_avatar"]

    def has_add_permission(self, request):
        return False  # a shop is opened by its distributor

    def has_delete_permission(self, request, obj=None):
        return False  # rule-breaking content is reset, the shop stays

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("distributor__user").annotate(feature_count=Count("features"))

    @admin.display(description=_("分销商编号"), ordering="distributor__code")
    def distributor_code(self, obj):
        return obj.distributor.code

    @admin.display(description=_("分销商"))
    def distributor_link(self, obj):
        url = reverse("admin:distribution_distributor_change", args=[obj.distributor_id])
        return format_html('<a href="{}">{}</a>', url, obj.distributor.code)

    @admin.display(description=_("会员"))
    def member(self, obj):
        return obj.distributor.user.nickname

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.distributor.user.masked_phone

    @admin.display(description=_("分销商状态"))
    def distributor_status(self, obj):
        return obj.distributor.get_status_display()

    @admin.display(description=_("推荐商品数"), ordering="feature_count")
    def feature_count(self, obj):
        return obj.feature_count

    @admin.display(description=_("头像"), boolean=True)
    def has_avatar(self, obj):
        return bool(obj.avatar)

    @admin.display(description=_("店铺头像"))
    def avatar_preview(self, obj):
        if not obj.avatar:
            return gettext("未设置（显示昵称首字）")
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" width="96" height="96" style="border-radius:48px"></a>',
            obj.avatar.url,
        )

    @admin.display(description=_("小店页面"))
    def share_page(self, obj):
        url = reverse("web:share_shop", args=[obj.distributor.code])
        note = "" if obj.distributor.is_approved else gettext("（分销商未生效，买家打开会提示链接无效）")
        return format_html('<a href="{0}" target="_blank" rel="noopener">{0}</a>{1}', url, note)

    @admin.display(description=_("店铺海报"))
    def poster_preview(self, obj):
        url = reverse("admin:distribution_distributorshop_poster", args=[obj.pk])
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}" width="188" loading="lazy"></a>',
            url,
            gettext("店铺海报"),
        )

    @admin.display(description=_("重置"))
    def moderation(self, obj):
        url = reverse("admin:distribution_distributorshop_moderate", args=[obj.pk])
        history = reverse("admin:distribution_distributorshop_history", args=[obj.pk])
        return format_html(
            '<a class="button" href="{}">{}</a> <a href="{}">{}</a>',
            url,
            gettext("重置违规内容"),
            history,
            gettext("处理记录"),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and self.has_change_permission(request, obj):
            return fieldsets
        return tuple(fs for fs in fieldsets if "moderation" not in fs[1]["fields"])

    def save_model(self, request, obj, form, change):
        saved = services_shop.operator_update_shop(shop=obj, name=form.cleaned_data["name"], welcome=form.cleaned_data["welcome"])
        obj.name, obj.welcome, obj.updated_at = saved.name, saved.welcome, saved.updated_at

    def save_formset(self, request, form, formset, change):
        """The featured products are read-only here: nothing of the inline is written."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # moderation ---------------------------------------------------------------------------------

    def get_urls(self):
        own = [
            path("<int:shop_id>/moderate/", self.admin_site.admin_view(self.moderate_view), name="distribution_distributorshop_moderate"),
            path("<int:shop_id>/poster.png", self.admin_site.admin_view(self.poster_view), name="distribution_distributorshop_poster"),
        ]
        return own + super().get_urls()

    def moderate_view(self, request, shop_id):
        shop = get_object_or_404(DistributorShop.objects.select_related("distributor__user"), pk=shop_id)
        if not self.has_change_permission(request, shop):
            raise PermissionDenied
        form = ModerationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services_shop.moderate_shop(
                    shop=shop, fields_to_reset=form.cleaned_data["fields_to_reset"], actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DistributionError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, gettext("已重置，处理记录已保存"))
                return redirect("admin:distribution_distributorshop_change", shop.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": shop,
            "title": gettext("重置违规内容：%(shop)s") % {"shop": shop.name},
            "form": form,
            "default_name": selectors_shop.default_shop_name(shop.distributor),
        }
        return TemplateResponse(request, "admin/distribution/distributorshop/moderate.html", context)

    def poster_view(self, request, shop_id):
        """The poster exactly as the distributor gets it, for checking what is being shared."""
        shop = get_object_or_404(DistributorShop.objects.select_related("distributor__user"), pk=shop_id)
        if not self.has_view_permission(request, shop):
            raise PermissionDenied
        share_url = request.build_absolute_uri(reverse("web:share_shop", args=[shop.distributor.code]))
        try:
            result = poster.shop_poster(shop.distributor, share_url)
        except DistributionError as exc:
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
        response = HttpResponse(result.png, content_type="image/png")
        response["Cache-Control"] = "private, no-cache"
        return response

    def _reset(self, request, queryset, field, label):
        reason = request.POST.get("reason", "")
        done = 0
        for shop in queryset.order_by("pk"):
            try:
                services_shop.moderate_shop(shop=shop, fields_to_reset=[field], actor=request.user, reason=reason)
            except DistributionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            done += 1
        self.message_user(request, ngettext("%(action)s：%(count)d 个小店", "%(action)s：%(count)d 个小店", done) % {"action": label, "count": done})

    @admin.action(description=_("重置店名（填写原因）"), permissions=["change"])
    def reset_name(self, request, queryset):
        self._reset(request, queryset, "name", gettext("已重置店名"))

    @admin.action(description=_("清空欢迎语（填写原因）"), permissions=["change"])
    def reset_welcome(self, request, queryset):
        self._reset(request, queryset, "welcome", gettext("已清空欢迎语"))

    @admin.action(description=_("删除头像（填写原因）"), permissions=["change"])
    def reset_avatar(self, request, queryset):
        self._reset(request, queryset, "avatar", gettext("已删除头像"))
