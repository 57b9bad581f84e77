"""In-app notices: marking read touches only the user's own rows and is idempotent; the list is newest
first with the unread count, in a fixed number of queries; the API refuses strangers and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fenxiao.accounts.services import issue_token
from fenxiao.growth import selectors, services
from fenxiao.growth.errors import GrowthError
from fenxiao.growth.models import Notification
from fenxiao.growth.selectors.notifications import PER_PAGE
from tests.api_helpers import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def notice(user, title="通知", *, minutes_ago=0, read=False, url="") -> Notification:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return Notification.objects.create(user=user, kind="test", title=title, url=url, created_at=at, read_at=at if read else None)


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user=user)}"}


@pytest.fixture
def me(db):
    return UserFactory()


@pytest.fixture
def other(db):
    return UserFactory()


def test_mark_read_only_own_rows_and_idempotent(me, other):
    mine, theirs = notice(me), notice(other)
    assert services.mark_read(me, [mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    first_read = mine.read_at
    assert services.mark_read(me, [mine.pk]) == 0
    mine.refresh_from_db()
    assert mine.read_at == first_read  # the first read time stays
    assert services.mark_read(me, []) == 0


def test_mark_all_read_only_own_rows_and_idempotent(me, other):
    for n in range(3):
        notice(me, f"通知{n}")
    notice(me, "旧的", read=True)
    notice(other)
    assert services.mark_all_read(me) == 3
    assert services.mark_all_read(me) == 0
    assert selectors.unread_count(me) == 0
    assert selectors.unread_count(other) == 1


@pytest.mark.parametrize("ids", [["1"], [0], [True], list(range(1, 202))])
def test_mark_read_refuses_bad_ids(me, ids):
    with pytest.raises(GrowthError) as caught:
        services.mark_read(me, ids)
    assert caught.value.code == "invalid_notifications"


def test_page_is_newest_first_with_unread_count(me, other):
    old = notice(me, "旧", minutes_ago=30, read=True)
    new = notice(me, "新", minutes_ago=1)
    middle = notice(me, "中", minutes_ago=10)
    notice(other, "别人的")
    page = selectors.notice_page(me)
    assert [n.pk for n in page.items] == [new.pk, middle.pk, old.pk]
    assert (page.count, page.unread_count) == (3, 2)
    unread = selectors.notice_page(me, unread_only=True)
    assert [n.pk for n in unread.items] == [new.pk, middle.pk]
    assert [n.pk for n in selectors.notice_page(me, limit=1, offset=1).items] == [middle.pk]


def test_list_queries_do_not_grow_with_rows(me):
    notice(me)
    with CaptureQueriesContext(connection) as few:
        selectors.notice_page(me)
    for n in range(30):
        notice(me, f"通知{n}", read=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        page = selectors.notice_page(me)
    assert len(page.items) == PER_PAGE
    assert len(many.captured_queries) == len(few.captured_queries) == 3


# --- API -----------------------------------------------------------------------------------------


def test_api_list_and_read(client, me, other):
    a = notice(me, "升级", minutes_ago=5, url="/dc/level/")
    b = notice(me, "奖励", minutes_ago=1)
    theirs = notice(other, "别人的")
    body = client.get(URL, headers=bearer(me)).json()
    assert (body["count"], body["unread_count"]) == (2, 2)
    assert [i["id"] for i in body["items"]] == [b.pk, a.pk]
    assert body["items"][1] | {"created_at": None} == {
        "id": a.pk,
        "kind": "test",
        "title": "升级",
        "body": "",
        "url": "/dc/level/",
        "created_at": None,
        "read_at": None,
        "is_read": False,
    }

    response = client.post(f"{URL}/read", {"ids": [a.pk, theirs.pk]}, content_type="application/json", headers=bearer(me))
    assert response.status_code == 200, response.content
    assert response.json() == {"marked": 1, "unread_count": 1}
    again = client.post(f"{URL}/read", {"ids": [a.pk]}, content_type="application/json", headers=bearer(me))
    assert again.json() == {"marked": 0, "unread_count": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    unread = client.get(URL, {"unread": "true"}, headers=bearer(me)).json()
    assert [i["id"] for i in unread["items"]] == [b.pk]
    assert client.post(f"{URL}/read-all", headers=bearer(me)).json() == {"marked": 1, "unread_count": 0}
    assert client.post(f"{URL}/read-all", headers=bearer(me)).json() == {"marked": 0, "unread_count": 0}
    assert client.get(URL, headers=bearer(other)).json()["unread_count"] == 1


def test_api_refusals(client, me):
    assert_error(client.get(URL), 401, "not_authenticated")
    assert_error(client.post(f"{URL}/read-all"), 401, "not_authenticated")
    headers = bearer(me)
    assert_error(client.get(URL, {"limit": 0}, headers=headers), 400, "invalid_filter")
    assert_error(client.get(URL, {"offset": -1}, headers=headers), 400, "invalid_filter")
    assert_error(
        client.post(f"{URL}/read", {"ids": "all"}, content_type="application/json", headers=headers), 422, "invalid_input"
    )
    assert_error(
        client.post(f"{URL}/read", {"ids": [0]}, content_type="application/json", headers=headers), 400, "invalid_notifications"
    )
