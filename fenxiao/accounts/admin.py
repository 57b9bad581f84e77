from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from fenxiao.common.admin import ConsoleAdmin
from fenxiao.common.admin_filters import range_filter

from .models import ApiToken, Consent, User
from .services import revoke_all_tokens, revoke_tokens, token_lifetimes


class UserCreationForm(AdminUserCreationForm):
    """The console's add-user form, using the password hashed before the save's transaction opened."""

    prehashed: tuple[str, str] | None = None  # (raw, encoded), set per request by UserAdmin.get_form

    def set_password_and_save(self, user, commit=True, **kwargs):
        raw = self.cleaned_data.get("password1")
        usable = self.cleaned_data.get("set_usable_password", True)
        if usable and raw and self.prehashed and self.prehashed[0] == raw:
            user.password = self.prehashed[1]
            if commit:
                user.save()
            return user
        return super().set_password_and_save(user, commit=commit, **kwargs)


@admin.register(User)
class UserAdmin(ConsoleAdmin, BaseUserAdmin):
    add_form = UserCreationForm
    list_display = ("username", "masked_phone", "nickname", "is_staff", "is_active", "date_joined")
    list_filter = (
        "is_staff",
        "is_active",
        "groups",
        range_filter("date_joined", _("注册日期")),
        range_filter("last_login", _("最近登录")),
    )
    search_fields = ("username", "phone", "nickname")
    search_help_text = _("用户名、手机号或昵称")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("会员资料"), {"fields": ("phone", "nickname", "first_name", "last_name", "email", "orders_link")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "phone", "nickname", "password1", "password2")}),)

    actions = ("revoke_api_tokens",)

    def add_view(self, request, form_url="", extra_context=None):
        # Django saves a new user inside a transaction; hash its password first, outside it (on SQLite
        # the transaction holds the write lock for everyone).
        request.prehashed_password = None
        if request.method == "POST" and self.has_add_permission(request):
            raw = request.POST.get("password1") or ""
            if raw and raw == request.POST.get("password2"):
                request.prehashed_password = (raw, make_password(raw))
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and getattr(request, "prehashed_password", None):
            form = type(form.__name__, (form,), {"prehashed": request.prehashed_password})
        return form

    @admin.display(description=_("手机号"))
    def masked_phone(self, obj):
        return obj.masked_phone

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "orders_link")

    @admin.display(description=_("订单"))
    def orders_link(self, obj):
        """The customer's own orders: the order list's buyer filter."""
        if obj is None or obj.pk is None:
            return "—"
        url = f"{reverse('admin:orders_order_changelist')}?{urlencode({'buyer': obj.pk})}"
        return format_html('<a href="{}" id="customer-orders">{}</a>', url, gettext("查看订单"))

    def has_revoke_tokens_permission(self, request):
        return request.user.is_superuser

    @admin.action(description=_("吊销所选用户的全部 API 令牌"), permissions=["revoke_tokens"])
    def revoke_api_tokens(self, request, queryset):
        count = sum(revoke_all_tokens(user=user) for user in queryset)
        self.message_user(request, ngettext("已吊销 %(count)d 个令牌", "已吊销 %(count)d 个令牌", count) % {"count": count})


@admin.register(ApiToken)
class ApiTokenAdmin(ConsoleAdmin):
    """Tokens are never shown, only their first characters and dates. Staff see only their own tokens;
    a superuser sees everyone's (no hash either) and may revoke them. Nothing is edited or deleted."""

    list_display = ("prefix", "user", "created_at", "last_used_at", "expires", "revoked_at")
    fields = ("user", "prefix", "created_at", "last_used_at", "expires", "revoked_at")
    readonly_fields = fields
    search_fields = ("prefix",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    actions = ("revoke",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_search_fields(self, request):
        return ("prefix", "user__username", "user__phone") if request.user.is_superuser else ("prefix",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description=_("到期时间"))
    def expires(self, obj):
        idle, absolute = token_lifetimes()
        return obj.expires_at(idle=idle, absolute=absolute)

    @admin.action(description=_("吊销所选令牌"), permissions=["revoke"])
    def revoke(self, request, queryset):
        count = revoke_tokens(queryset=queryset)
        self.message_user(request, ngettext("已吊销 %(count)d 个令牌", "已吊销 %(count)d 个令牌", count) % {"count": count})


@admin.register(Consent)
class ConsentAdmin(ConsoleAdmin):
    """Evidence of who accepted which version of the agreements, when and from where: read only."""

    list_display = ("user", "document", "version", "accepted_at", "client_address")
    list_filter = ("document", "version")
    search_fields = ("user__phone", "user__username")
    date_hierarchy = "accepted_at"
    list_select_related = ("user",)
    readonly_fields = ("user", "document", "version", "accepted_at", "client_address")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
