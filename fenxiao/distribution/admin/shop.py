"""Distributors' shops (一键开店) in the console: operators correct a shop through the same screening or
reset what breaks the rules, see the share page and the poster."""

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
from fenxiao.common.admin import ConsoleAdmin, ReadOnlyInline

from .. import poster, selectors, services
from ..errors import DistributionError
from ..models import DistributorShop, ShopFeature


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
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:catalog_product_change", args=[obj.product_id]), obj.product_name
        )

    @admin.display(description=_("在店内展示"), boolean=True)
    def shown(self, obj):
        return obj.on_shelf


class ShopForm(forms.ModelForm):
    """Name and welcome line, screened by the shop services exactly as in the distributor's editor (the
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
            data["name"], data["welcome"] = services.clean_shop_text(data.get("name"), data.get("welcome"))
        except DistributionError as exc:
            field = exc.detail.get("field") if isinstance(exc.detail, dict) else None
            self.add_error(field if field in self.fields else None, ValidationError(exc.message, code=exc.code))
        return data


class ModerationActionForm(admin.helpers.ActionForm):
    reason = forms.CharField(label=_("原因"), required=False, max_length=services.MODERATION_REASON_MAX)


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
        max_length=services.MODERATION_REASON_MAX,
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
class DistributorShopAdmin(ConsoleAdmin):
    """Operators look after the shops distributors open: edit the text (screened like the editor),
    reset what breaks the rules with a reason (services.moderate_shop), see the share page and
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
        saved = services.operator_update_shop(shop=obj, name=form.cleaned_data["name"], welcome=form.cleaned_data["welcome"])
        obj.name, obj.welcome, obj.updated_at = saved.name, saved.welcome, saved.updated_at

    def save_formset(self, request, form, formset, change):
        """The featured products are read-only here: nothing of the inline is written."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # moderation ---------------------------------------------------------------------------------

    def get_urls(self):
        own = [
            path(
                "<int:shop_id>/moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name="distribution_distributorshop_moderate",
            ),
            path(
                "<int:shop_id>/poster.png",
                self.admin_site.admin_view(self.poster_view),
                name="distribution_distributorshop_poster",
            ),
        ]
        return own + super().get_urls()

    def moderate_view(self, request, shop_id):
        shop = get_object_or_404(DistributorShop.objects.select_related("distributor__user"), pk=shop_id)
        if not self.has_change_permission(request, shop):
            raise PermissionDenied
        form = ModerationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.moderate_shop(
                    shop=shop,
                    fields_to_reset=form.cleaned_data["fields_to_reset"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
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
            "default_name": selectors.default_shop_name(shop.distributor),
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
                services.moderate_shop(shop=shop, fields_to_reset=[field], actor=request.user, reason=reason)
            except DistributionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            done += 1
        self.message_user(
            request,
            ngettext("%(action)s：%(count)d 个小店", "%(action)s：%(count)d 个小店", done) % {"action": label, "count": done},
        )

    @admin.action(description=_("重置店名（填写原因）"), permissions=["change"])
    def reset_name(self, request, queryset):
        self._reset(request, queryset, "name", gettext("已重置店名"))

    @admin.action(description=_("清空欢迎语（填写原因）"), permissions=["change"])
    def reset_welcome(self, request, queryset):
        self._reset(request, queryset, "welcome", gettext("已清空欢迎语"))

    @admin.action(description=_("删除头像（填写原因）"), permissions=["change"])
    def reset_avatar(self, request, queryset):
        self._reset(request, queryset, "avatar", gettext("已删除头像"))
