"""Page weight: pages leave compressed; static files leave collected, with hashed names, gzip-compressed
and cached for a year, as production (and the demo with DEBUG off) serves them."""

from __future__ import annotations

import gzip

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

pytestmark = pytest.mark.django_db


def test_pages_are_gzip_compressed(client):
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "</html>" in html
    assert len(response.content) < len(html) / 2
    assert "Content-Encoding" not in client.get("/")  # only to clients that ask


def test_api_answers_are_gzip_compressed(client):
    response = client.get("/api/openapi.json", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic with the production storage into a temporary STATIC_ROOT, once for the module:
    hashing and compressing every file takes seconds, and the tests only read what it wrote."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def collected(settings, static_root):
    """Static files served from the collected STATIC_ROOT as production serves them."""
    settings.STATIC_ROOT = static_root
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    settings.STORAGES = PRODUCTION_STORAGES
    return WhiteNoiseMiddleware(lambda request: pytest.fail(f"{request.path} reached the application"))


@pytest.mark.parametrize("name", ["vendor/weui/weui.min.css", "web/app.css", "web/shop.css", "vendor/htmx/htmx.min.js"])
def test_hashed_static_files_are_compressed_and_cached_for_a_year(collected, name):
    url = static(name)
    assert url != f"/static/{name}" and url.startswith("/static/")  # the name carries the content hash
    response = collected(RequestFactory().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate"))
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    plain = gzip.decompress(body)
    assert len(body) < len(plain) / 2
    if name.endswith("weui.min.css"):
        assert len(body) < 40_000  # the whole WeUI sheet, compressed


def test_the_unhashed_name_is_not_cached_for_long(collected):
    response = collected(RequestFactory().get("/static/web/app.css", HTTP_ACCEPT_ENCODING="gzip"))
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]


def test_pages_link_the_hashed_names(client, collected):
    page = gzip.decompress(client.get("/", HTTP_ACCEPT_ENCODING="gzip").content).decode()
    assert static("vendor/weui/weui.min.css") in page and static("web/shop.js") in page
