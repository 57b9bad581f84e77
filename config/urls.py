from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.static import serve

from fenxiao.common.validation import Int64Converter

from .api import api

# `<int64:…>` in page URLs: an id that fits the database, a larger number is a 404 (never a 500).
register_converter(Int64Converter, "int64")


urlpatterns = [
    # The console's own pages (background jobs, imports, permissions), namespace `console`; each view
    # checks staff login and permissions itself (fenxiao.console.access.console_view).
    path("admin/console/", include("fenxiao.console.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("fenxiao.web.urls")),
]
# Uploaded files: Django serves them for the demo and the tests only; in production the front proxy
# (nginx) serves MEDIA_ROOT at /media/ (see README, 生产部署).
if getattr(settings, "FENXIAO_SERVE_MEDIA", settings.DEBUG):

    def media(request, path):
        return serve(request, path, document_root=settings.MEDIA_ROOT)  # read per request: tests move it

    urlpatterns.insert(-1, path("media/<path:path>", media))

handler500 = "fenxiao.common.unavailable.server_error"
# The pages' own error pages (JSON under /api/): fenxiao/web/views/errors.py.
handler400 = "fenxiao.web.views.errors.bad_request"
handler403 = "fenxiao.web.views.errors.permission_denied"
handler404 = "fenxiao.web.views.errors.page_not_found"
