"""The operator's 关系链 pages in the admin: search, chain, lazy children; staff only."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import DistributorFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(level):
    root = DistributorFactory(level=level, code="ROOT01")
    mid = DistributorFactory(level=level, inviter=root, user=UserFactory(nickname="中间人", phone="13655556666"))
    leaf = DistributorFactory(level=level, inviter=mid, code="LEAF01")
    deeper = DistributorFactory(level=level, inviter=leaf, code="DEEP01")
    return {"root": root, "mid": mid, "leaf": leaf, "deeper": deeper}


def test_staff_sees_the_chain(client, net):
    client.force_login(StaffFactory())
    r = client.get(reverse("admin:analytics_chain", args=[net["mid"].pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="chain-upline"' in html and "ROOT01" in html and "LEAF01" in html
    assert "中间人" in html and "136****6666" in html
    assert reverse("admin:analytics_chain_children", args=[net["leaf"].pk]) in html
    r = client.get(reverse("admin:analytics_chain_children", args=[net["leaf"].pk]))
    assert r.status_code == 200 and "DEEP01" in r.content.decode()


def test_search_by_code_or_phone_redirects_to_the_chain(client, net):
    client.force_login(StaffFactory())
    url = reverse("admin:analytics_chain_search")
    r = client.get(url, {"q": "13655556666"})
    assert r.status_code == 302 and r["Location"] == reverse("admin:analytics_chain", args=[net["mid"].pk])
    r = client.get(url, {"q": "leaf01"})
    assert r["Location"] == reverse("admin:analytics_chain", args=[net["leaf"].pk])
    r = client.get(url, {"q": "nobody"})
    assert r.status_code == 200 and 'id="chain-not-found"' in r.content.decode()
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:analytics_chain", args=[10**9])).status_code == 404


def test_change_page_links_to_the_chain(client, net):
    client.force_login(StaffFactory())
    r = client.get(reverse("admin:distribution_distributor_change", args=[net["mid"].pk]))
    assert r.status_code == 200
    assert reverse("admin:analytics_chain", args=[net["mid"].pk]) in r.content.decode()


def test_non_staff_are_sent_to_login_and_staff_without_permission_get_403(client, net):
    url = reverse("admin:analytics_chain", args=[net["mid"].pk])
    client.force_login(net["root"].user)
    r = client.get(url)
    assert r.status_code == 302 and "/admin/login/" in r["Location"]
    limited = StaffFactory(is_superuser=False)
    client.force_login(limited)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:analytics_chain_children", args=[net["leaf"].pk])).status_code == 403
    limited.user_permissions.add(Permission.objects.get(codename="view_distributor", content_type__app_label="distribution"))
    client.force_login(limited)
    assert client.get(url).status_code == 200
