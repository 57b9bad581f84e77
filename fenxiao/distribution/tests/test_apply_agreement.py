"""Applying through the API carries the version of the distributor agreement the user accepted, like the
page: missing → `consent_required`, not the current one → `agreement_outdated`; a successful application
records the consent with its version, time and client address."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from fenxiao.accounts.models import Consent
from fenxiao.accounts.services import issue_token
from fenxiao.distribution.models import Distributor
from tests.api_helpers import assert_error
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

APPLY = "/api/v1/distribution/apply"
AGREEMENT = "/api/v1/distribution/agreement"


@pytest.fixture(autouse=True)
def versions(settings, admission):
    admission("review")
    settings.FENXIAO_AGREEMENT_VERSIONS = {"user": "2026-12-01", "privacy": "2026-12-01", "distributor": "2026-12-05"}


def apply(client, user, body):
    return client.post(
        APPLY,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issue_token(user=user)}"},
        REMOTE_ADDR="203.0.113.9",
    )


def test_the_current_version_is_published(client):
    body = client.get(AGREEMENT).json()
    assert body["document"] == "distributor" and body["version"] == "2026-12-05"
    assert body["url"].endswith("/agreements/distributor/")
    assert client.get(body["url"]).status_code == 200


def test_applying_with_the_current_version_records_the_consent(client):
    user = UserFactory()
    version = client.get(AGREEMENT).json()["version"]
    response = apply(client, user, {"real_name": "张三", "agreement_version": version})
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(user=user)
    assert (consent.document, consent.version, consent.client_address) == ("distributor", "2026-12-05", "203.0.113.9")
    assert timezone.now() - consent.accepted_at < timedelta(minutes=1)
    assert Distributor.objects.filter(user=user).exists()


def test_without_a_version_nothing_is_recorded(client):
    user = UserFactory()
    for body in ({"real_name": "张三"}, {"real_name": "张三", "agreement_version": "  "}):
        error = assert_error(apply(client, user, body), 400, "consent_required")
        assert error["detail"]["documents"] == ["distributor"]
    assert not Distributor.objects.filter(user=user).exists()
    assert not Consent.objects.filter(user=user).exists()


def test_a_stale_version_is_refused_with_the_current_one(client, settings):
    user = UserFactory()
    error = assert_error(apply(client, user, {"agreement_version": "2026-12-01"}), 409, "agreement_outdated")
    assert error["detail"]["current_version"] == "2026-12-05" and error["detail"]["version"] == "2026-12-01"
    assert not Distributor.objects.filter(user=user).exists() and not Consent.objects.exists()
    # the agreement changes again: what was current a moment ago is now stale
    settings.FENXIAO_AGREEMENT_VERSIONS = {**settings.FENXIAO_AGREEMENT_VERSIONS, "distributor": "2027-01-01"}
    assert_error(apply(client, user, {"agreement_version": "2026-12-05"}), 409, "agreement_outdated")
    assert apply(client, user, {"agreement_version": "2027-01-01"}).status_code == 201
    assert list(Consent.objects.filter(user=user).values_list("version", flat=True)) == ["2027-01-01"]


def test_a_refused_application_records_no_consent(client):
    user = UserFactory()
    assert apply(client, user, {"agreement_version": "2026-12-05"}).status_code == 201
    again = apply(client, user, {"agreement_version": "2026-12-05"})
    assert again.status_code == 409 and again.json()["code"] != "agreement_outdated"
    assert Consent.objects.filter(user=user).count() == 1


def test_who_may_apply_comes_before_the_agreement(client):
    staff = StaffFactory()
    assert_error(apply(client, staff, {}), 403, "staff_not_allowed")
    assert not Consent.objects.filter(user=staff).exists()


def test_the_contract_declares_the_agreement_answers(client):
    responses = client.get("/api/openapi.json").json()["paths"][APPLY]["post"]["responses"]
    assert "`consent_required`" in responses["400"]["description"]
    assert "`agreement_outdated`" in responses["409"]["description"]
