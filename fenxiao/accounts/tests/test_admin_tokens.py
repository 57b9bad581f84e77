"""The console never shows a token's hash; staff see only their own tokens; a superuser may revoke."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from fenxiao.accounts.models import ApiToken
from fenxiao.accounts.services import ensure_staff_groups, issue_token, user_for_token
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_apitoken_changelist"


@pytest.fixture
def operations_staff():
    ensure_staff_groups()
    staff = StaffFactory(is_superuser=False, username="ops-1")
    staff.groups.add(Group.objects.get(name="运营"))  # the group may view accounts
    return staff


def test_staff_see_only_their_own_tokens_and_never_a_hash(client, operations_staff):
    own = issue_token(user=operations_staff)
    member = UserFactory()
    theirs = issue_token(user=member)
    client.force_login(operations_staff)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    html = response.content.decode()
    assert own[:8] in html
    assert theirs[:8] not in html
    assert list(response.context["cl"].queryset) == [ApiToken.objects.get(user=operations_staff)]
    for token in ApiToken.objects.all():
        assert token.key_hash not in html
    other_token = ApiToken.objects.get(user=member)
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[other_token.pk]))
    assert detail.status_code == 302  # not found for this staff member: back to the index
    own_detail = client.get(reverse("admin:accounts_apitoken_change", args=[ApiToken.objects.get(user=operations_staff).pk]))
    assert own_detail.status_code == 200
    assert ApiToken.objects.get(user=operations_staff).key_hash not in own_detail.content.decode()
    searched = client.get(reverse(CHANGELIST), {"q": member.phone})
    assert list(searched.context["cl"].queryset) == []


def test_superuser_lists_and_revokes_but_never_reads_a_hash(client):
    admin_user = StaffFactory()
    member = UserFactory()
    raw = issue_token(user=member)
    token = ApiToken.objects.get(user=member)
    client.force_login(admin_user)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert raw[:8] in html and token.key_hash not in html
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_hash not in detail
    response = client.post(reverse(CHANGELIST), {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert user_for_token(raw) is None
    assert client.post(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403


def test_superuser_revokes_all_tokens_of_selected_users(client):
    admin_user = StaffFactory()
    member, bystander = UserFactory(), UserFactory()
    raws = [issue_token(user=member) for _ in range(2)]
    kept = issue_token(user=bystander)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "revoke_api_tokens", "_selected_action": [member.pk]}
    )
    assert response.status_code == 302
    assert [user_for_token(raw) for raw in raws] == [None, None]
    assert user_for_token(kept) == bystander


def test_staff_cannot_revoke_other_users_tokens_from_the_user_list(client, operations_staff):
    member = UserFactory()
    raw = issue_token(user=member)
    client.force_login(operations_staff)
    client.post(reverse("admin:accounts_user_changelist"), {"action": "revoke_api_tokens", "_selected_action": [member.pk]})
    assert user_for_token(raw) == member
