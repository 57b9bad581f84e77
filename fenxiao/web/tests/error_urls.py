"""The project's URLs plus views that fail, for the error-page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from config import urls as project_urls


def boom(request):
    raise RuntimeError("deliberate failure for the error-page test")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("bad input")


def missing(request):
    raise Http404("nothing here")


urlpatterns = [
    path("api/v1/missing/", missing),
    path("api/v1/suspicious/", suspicious),
    path("boom/", boom),
    path("api/v1/boom/", boom),
    path("forbidden/", forbidden),
    path("api/v1/forbidden/", forbidden),
    path("suspicious/", suspicious),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
