from django.contrib import admin

from fenxiao.common.admin import ConsoleAdmin

from .models import WeChatIdentity


@admin.register(WeChatIdentity)
class WeChatIdentityAdmin(ConsoleAdmin):
    list_display = ("user", "kind", "appid", "openid", "unionid", "nickname", "created_at")
    list_filter = ("kind", "appid")
    search_fields = ("openid", "unionid", "user__username", "user__phone", "nickname")
    readonly_fields = ("user", "kind", "appid", "openid", "unionid", "nickname", "avatar_url", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False  # identities come from WeChat sign-in only
