"""Staff accounts are not distributors unless the operator allows it, and staff never review their own
distributor application."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fenxiao.accounts.services import agreement_versions, issue_token
from fenxiao.common.errors import DomainError
from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.services import apply_for_distributor, approve_distributor, reject_distributor, update_settings
from tests.api_helpers import assert_error
from tests.factories import DistributorFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Distributor.Status


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def test_staff_cannot_apply_while_the_setting_is_off(admission, client):
    admission("open")
    staff = member_of("财务")
    with pytest.raises(DistributionError) as caught:
        apply_for_distributor(user=staff)
    assert (caught.value.code, caught.value.status) == ("staff_not_allowed", 403)
    response = client.post(
        "/api/v1/distribution/apply",
        json.dumps({"agreement_version": agreement_versions()["distributor"]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issue_token(user=staff)}"},
    )
    assert_error(response, 403, "staff_not_allowed")
    assert not Distributor.objects.filter(user=staff).exists()


def test_the_operator_may_allow_staff_distributors(admission):
    admission("open")
    update_settings(staff_may_distribute=True)
    staff = member_of("运营")
    assert apply_for_distributor(user=staff).status == S.APPROVED


def test_staff_never_approve_or_reject_their_own_application(admission):
    admission("review")
    update_settings(staff_may_distribute=True)
    ops = member_of("运营")
    mine = apply_for_distributor(user=ops)
    for call in (
        lambda: approve_distributor(distributor_id=mine.pk, actor=ops),
        lambda: reject_distributor(distributor_id=mine.pk, actor=ops, reason="x"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert (caught.value.code, caught.value.status) == ("own_object", 403)
    assert approve_distributor(distributor_id=mine.pk, actor=member_of("运营")).status == S.APPROVED


def test_a_pending_applicant_who_became_staff_is_not_approved_while_the_setting_is_off(admission):
    admission("review")
    applicant = UserFactory()
    pending = apply_for_distributor(user=applicant)
    applicant.is_staff = True
    applicant.save(update_fields=["is_staff"])
    with pytest.raises(DistributionError) as caught:
        approve_distributor(distributor_id=pending.pk, actor=member_of("运营"))
    assert caught.value.code == "staff_not_allowed"


def test_the_console_flags_a_distributor_whose_account_is_staff(client, level):
    flagged = DistributorFactory(level=level, user=UserFactory(is_staff=True, nickname="员工甲"))
    client.force_login(member_of("运营"))
    page = client.get(reverse("admin:distribution_distributor_changelist"), {"user__is_staff__exact": "1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert flagged.code in text and "设置不允许" in text


def test_the_setting_is_in_the_api(client):
    ops = member_of("运营")
    headers = {"Authorization": f"Bearer {issue_token(user=ops)}"}
    body = client.get("/api/v1/operator/distribution/settings", headers=headers).json()
    assert body["staff_may_distribute"] is False
    response = client.patch(
        "/api/v1/operator/distribution/settings",
        json.dumps({"staff_may_distribute": True}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200 and response.json()["staff_may_distribute"] is True
