"""English beside the Chinese source text: the English catalog is complete, pages and API errors
follow the visitor's language, and the footer switch remembers a choice.

The page tests compile locale/en/LC_MESSAGES/django.po into a temporary folder with GNU msgfmt, so
they always check the .po as it stands, whether or not `compilemessages` has been run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.services import validate_commission_levels
from tests.factories import CategoryFactory, ProductFactory, SkuFactory

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- the catalog file ---------------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [value for key, value in self.fields.items() if key.startswith("msgstr")]


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a quoted PO string: {text!r}"
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file: flags from `#,` lines and every msgctxt/msgid/msgstr, joined across
    continuation lines. Obsolete (`#~`) entries are left out: gettext ignores them."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert key is not None, f"{path.name}:{number}: continuation line without a keyword"
            current.fields[key] += _unquote(line)
        else:
            key, _sep, rest = line.partition(" ")
            current.fields[key] = _unquote(rest)
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO_PATH.exists(), "locale/en/LC_MESSAGES/django.po is missing (run makemessages -l en)"
    return parse_po(PO_PATH)


def test_po_header_declares_english_and_utf8(po_entries):
    header = po_entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: en" in header.fields["msgstr"]
    assert "charset=UTF-8" in header.fields["msgstr"]


def test_po_has_no_untranslated_or_fuzzy_entries(po_entries):
    messages = po_entries[1:]
    assert len(messages) > 100  # pages, admin labels and error messages
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    untranslated = [entry.msgid for entry in messages if not entry.translations or not all(entry.translations)]
    assert fuzzy == []
    assert untranslated == []


def test_po_translations_keep_their_placeholders(po_entries):
    wrong = []
    for entry in po_entries[1:]:
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.fields.get("msgid_plural", "")))
        for text in entry.translations:
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_po_translations_are_english(po_entries):
    """No Chinese left in a msgstr: a copied msgid would pass the emptiness check unnoticed."""
    han = re.compile(r"[\u4e00-\u9fff]")
    assert [entry.msgid for entry in po_entries[1:] if any(han.search(t) for t in entry.translations)] == []


# --- pages and API in the visitor's language ------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_locale(tmp_path_factory) -> Path:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt is not None, "msgfmt is not installed (Debian package gettext; `make test` installs it)"
    root = tmp_path_factory.mktemp("locale")
    target = root / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run([msgfmt, "--check", "-o", str(target / "django.mo"), str(PO_PATH)], check=True, capture_output=True)
    return root


@pytest.fixture
def english_catalog(settings, compiled_locale):
    """Point Django at the freshly compiled catalog; changing the setting resets the translation caches."""
    settings.LOCALE_PATHS = [compiled_locale]
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def item():
    product = ProductFactory(name="玻尿酸精华", category=CategoryFactory(name="美妆", slug="beauty"))
    SkuFactory(product=product, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000, stock=3)
    return product


@pytest.mark.django_db
def test_home_is_chinese_by_default(client, english_catalog, item):
    response = client.get(reverse("web:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    for text in ("分销商城", "品牌直供 · 正品保障 · 分享赚佣金", "首页", "分销中心", "我的"):
        assert text in html
    assert "Distribution Shop" not in html
    assert "Distributor center" not in html


@pytest.mark.django_db
def test_home_is_english_with_accept_language_en(client, english_catalog, item):
    response = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in html
    for text in (
        "Distribution Shop",
        "Direct from brands · Genuine products · Share to earn commission",
        "Home",
        "Distributor center",
        "Me",
        "All",
    ):
        assert text in html
    for text in ("分销商城", "首页", "分销中心", "全部"):
        assert text not in html
    assert "玻尿酸精华" in html  # product data stays as the operator entered it


@pytest.mark.django_db
def test_product_page_in_english_uses_plural_forms(client, english_catalog, item):
    html = client.get(reverse("web:product", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Suggested retail price" in html
    assert "Only 3 left" in html
    assert "仅剩" not in html


@pytest.mark.django_db
def test_not_found_message_from_the_view_is_translated(client, english_catalog):
    response = client.get(reverse("web:product", args=[999999]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This product does not exist or is no longer on shelf" in html
    assert "We can't find this page" in html


@pytest.mark.django_db
def test_api_errors_follow_accept_language(client, english_catalog):
    url = "/api/v1/distribution/me"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 401
    assert english.json() == {"code": "not_authenticated", "message": "Please log in first", "detail": {}}
    chinese = client.get(url)
    assert chinese.json()["message"] == "请先登录"


@pytest.mark.django_db
def test_domain_error_from_a_service_is_english_through_the_api(client, english_catalog):
    url = "/api/v1/auth/login"
    response = client.post(
        url, {"phone": "13800009999", "password": "wrong-pass"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["message"] == "Incorrect phone number or password"


def test_formatted_error_messages_keep_their_values(english_catalog):
    with translation.override("en"), pytest.raises(DistributionError) as english:
        validate_commission_levels(3)
    assert english.value.code == "commission_depth_exceeded"
    assert "cannot be set to 3 levels" in english.value.message
    with translation.override("zh-hans"), pytest.raises(DistributionError) as chinese:
        validate_commission_levels(3)
    assert "不能设置为 3 级" in chinese.value.message


@pytest.mark.django_db
def test_footer_switch_posts_to_set_language_and_is_remembered(client, english_catalog):
    html = client.get(reverse("web:home")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language" value="en"' in html
    assert 'name="language" value="zh-hans"' in html

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("web:home")})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Distribution Shop" in client.get(reverse("web:home")).content.decode()

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("web:home")})
    assert "分销商城" in client.get(reverse("web:home")).content.decode()


@pytest.mark.django_db
def test_set_language_refuses_an_unsafe_next(client, english_catalog):
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
