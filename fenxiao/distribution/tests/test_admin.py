"""The admin refuses a third commission level just like the API."""

from html.parser import HTMLParser

import pytest

from fenxiao.distribution.models import DistributionSettings
from fenxiao.distribution.services import get_settings

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/distribution/distributionsettings/1/change/"


class FormFields(HTMLParser):
    """Collects what a browser would submit from the page's change form."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file", "image"):
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.data


@pytest.fixture
def admin_client_logged_in(client, operator):
    client.force_login(operator)
    return client


def test_admin_refuses_three_commission_levels(admin_client_logged_in):
    get_settings()
    page = admin_client_logged_in.get(CHANGE_URL)
    assert page.status_code == 200
    data = form_data(page.content.decode())
    assert data["commission_levels"] == "2"
    data["commission_levels"] = "3"
    response = admin_client_logged_in.post(CHANGE_URL, data)
    assert response.status_code == 200  # the form comes back instead of a redirect
    form = response.context["adminform"].form
    assert form.errors
    assert "commission_levels" in form.errors or form.non_field_errors()
    assert "errornote" in response.content.decode()
    assert DistributionSettings.objects.get(pk=1).commission_levels == 2


def test_admin_saves_a_valid_change(admin_client_logged_in, operator):
    get_settings()
    data = form_data(admin_client_logged_in.get(CHANGE_URL).content.decode())
    data["commission_levels"] = "1"
    response = admin_client_logged_in.post(CHANGE_URL, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    conf = DistributionSettings.objects.get(pk=1)
    assert conf.commission_levels == 1
    assert conf.updated_by_id == operator.pk


def test_admin_level_rates_over_100_percent_refused(admin_client_logged_in):
    from fenxiao.distribution.models import Level

    url = "/admin/distribution/level/add/"
    data = form_data(admin_client_logged_in.get(url).content.decode())
    # rates are typed in percent: 80% + 30% is over 100%
    data.update(name="超额", rank="7", direct_rate_bp="80", indirect_rate_bp="30", team_bonus_bp="0")
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Level.objects.filter(name="超额").exists()
    data.update(direct_rate_bp="20", indirect_rate_bp="5")
    assert admin_client_logged_in.post(url, data).status_code == 302
    assert Level.objects.get(name="超额").direct_rate_bp == 2000
