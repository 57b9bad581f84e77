from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from .api import api

admin.site.site_header = _("fenxiao 分销商城 · 运营后台")
admin.site.site_title = _("fenxiao 运营后台")
admin.site.index_title = _("运营控制台")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
    path("", include("fenxiao.web.urls")),
]
