"""The application page (/supplier/apply/) and the console's supplier admin."""

import pytest
from django.urls import reverse

from fenxiao.suppliers import services
from fenxiao.suppliers.models import Supplier
from tests.factories import StaffFactory

from .conftest import application

pytestmark = pytest.mark.django_db
URL = "/supplier/apply/"


def test_the_form_asks_for_company_qualifications_return_address_and_bank(client, applicant):
    assert reverse("web:supplier_apply") == URL
    assert client.get(URL).status_code == 302  # sign in first
    client.force_login(applicant)
    page = client.get(URL).content.decode()
    for name in (
        "company_name",
        "credit_code",
        "licence_number",
        "category",
        "production_scale",
        "quality_system",
        "contact_phone",
        "return_detail",
        "bank_account_number",
        "settlement_cycle",
    ):
        assert f'name="{name}"' in page, name
    assert 'name="viewport"' in page  # the phone layout of every page


def test_submitting_shows_the_status_then_the_rejection_reason_and_allows_applying_again(client, applicant, supply_staff):
    client.force_login(applicant)
    bad = client.post(URL, application(credit_code="91330100000000001X"))
    assert bad.status_code == 200 and "统一社会信用代码不正确" in bad.content.decode()
    assert 'value="91330100000000001X"' in bad.content.decode()  # what was typed stays
    response = client.post(URL, application(), follow=True)
    page = response.content.decode()
    assert "待审核" in page and 'name="company_name"' not in page
    supplier = Supplier.objects.get(user=applicant)
    services.reject(supplier.pk, supply_staff, "许可证号与执照不符")
    page = client.get(URL).content.decode()
    assert "申请未通过" in page and "许可证号与执照不符" in page
    assert "重新申请" in page and f'value="{supplier.company_name}"' in page
    client.post(URL, application(name=supplier.name, credit_code=supplier.credit_code))
    assert Supplier.objects.get(pk=supplier.pk).status == Supplier.Status.APPLIED


def test_staff_see_that_they_cannot_apply(client):
    client.force_login(StaffFactory())
    page = client.get(URL).content.decode()
    assert "员工账号不能申请成为供应商" in page and 'name="company_name"' not in page


def test_the_console_rejects_with_a_reason_and_shows_the_timeline(client, applied, supply_staff):
    client.force_login(supply_staff)
    changelist = reverse("admin:suppliers_supplier_changelist")
    assert applied.name in client.get(changelist, {"status__exact": "applied"}).content.decode()
    form = client.post(changelist, {"action": "reject", "_selected_action": [applied.pk]})
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    client.post(changelist, {"action": "reject", "_selected_action": [applied.pk], "apply": "1", "reason": "资质不全"})
    applied.refresh_from_db()
    assert (applied.status, applied.status_reason) == (Supplier.Status.REJECTED, "资质不全")
    page = client.get(reverse("admin:suppliers_supplier_change", args=[applied.pk])).content.decode()
    assert "公司与资质" in page and "退货地址" in page and "资质不全" in page


def test_the_console_approves_suspends_and_reinstates_through_the_services(client, applied, supply_staff):
    client.force_login(supply_staff)
    changelist = reverse("admin:suppliers_supplier_changelist")
    client.post(changelist, {"action": "approve", "_selected_action": [applied.pk]})
    assert Supplier.objects.get(pk=applied.pk).status == Supplier.Status.APPROVED
    client.post(changelist, {"action": "suspend", "_selected_action": [applied.pk], "apply": "1", "reason": "投诉较多"})
    assert Supplier.objects.get(pk=applied.pk).status == Supplier.Status.SUSPENDED
    client.post(changelist, {"action": "reinstate", "_selected_action": [applied.pk]})
    supplier = Supplier.objects.get(pk=applied.pk)
    assert supplier.status == Supplier.Status.APPROVED
    assert [e.actor for e in supplier.events.all()][1:] == [supply_staff] * 3
