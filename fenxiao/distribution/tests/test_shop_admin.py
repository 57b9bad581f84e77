"""The operator console for distributors' shops: list, search, filters and the change page; edits
screened like the distributor's editor; moderation resets with a reason kept in the shop's history;
only staff allowed to change distribution may change shops."""

from __future__ import annotations

import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from fenxiao.distribution import selectors, services
from fenxiao.distribution.errors import DistributionError
from fenxiao.distribution.models import Distributor, DistributorShop
from tests.factories import DistributorFactory, ProductFactory, SkuFactory, UserFactory

from .test_admin import form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:distribution_distributorshop_changelist")


def staff_in(group_name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return type(user).objects.get(pk=user.pk)


def change_url(shop):
    return reverse("admin:distribution_distributorshop_change", args=[shop.pk])


def moderate_url(shop):
    return reverse("admin:distribution_distributorshop_moderate", args=[shop.pk])


def png_upload(name="a.png"):
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (30, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def open_shop(level, *, nickname="小美", name="小美的好物", welcome="欢迎光临", products=(), avatar=False):
    distributor = DistributorFactory(user=UserFactory(nickname=nickname), level=level)
    services.update_shop(distributor=distributor, name=name, welcome=welcome)
    if products:
        services.set_features(distributor=distributor, product_ids=[p.pk for p in products])
    if avatar:
        services.set_avatar(distributor=distributor, upload=png_upload())
    return DistributorShop.objects.select_related("distributor__user").get(distributor=distributor)


@pytest.fixture
def products():
    items = []
    for i in range(3):
        product = ProductFactory(name=f"好物{i}", sort_order=i)
        SkuFactory(product=product, retail_fen=1000 * (i + 1))
        items.append(product)
    return items


@pytest.fixture
def shop(level, products):
    # featured in an order different from the shelf's
    return open_shop(level, products=[products[2], products[0], products[1]], avatar=True)


@pytest.fixture(params=["superuser", "运营"])
def manager(request, operator):
    return operator if request.param == "superuser" else staff_in("运营")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def results(response) -> list[int]:
    return [obj.pk for obj in response.context["cl"].result_list]


# --- pages ---------------------------------------------------------------------------------------


def test_list_shows_the_shop_with_masked_phone(manager_client, shop):
    response = manager_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    phone = shop.distributor.user.phone
    assert shop.distributor.code in html and "小美的好物" in html and "欢迎光临" in html
    assert shop.distributor.user.masked_phone in html
    assert phone not in html
    row = response.context["cl"].result_list[0]
    assert row.feature_count == 3


def test_search_by_code_phone_and_shop_name(manager_client, shop, level):
    other = open_shop(level, nickname="阿强", name="阿强的茶叶铺", welcome="")
    for query, expected in (
        (shop.distributor.code, [shop.pk]),
        (other.distributor.user.phone, [other.pk]),
        ("茶叶", [other.pk]),
        ("好物", [shop.pk]),
    ):
        response = manager_client.get(CHANGELIST, {"q": query})
        assert response.status_code == 200
        assert results(response) == expected, query


def test_filters(manager_client, shop, level):
    plain = open_shop(level, nickname="阿强", name="阿强的小铺", welcome="")
    Distributor.objects.filter(pk=plain.distributor_id).update(status=Distributor.Status.SUSPENDED)
    for params, expected in (
        ({"avatar": "yes"}, [shop.pk]),
        ({"avatar": "no"}, [plain.pk]),
        ({"welcome": "no"}, [plain.pk]),
        ({"featured": "yes"}, [shop.pk]),
        ({"featured": "no"}, [plain.pk]),
        ({"distributor__status__exact": "suspended"}, [plain.pk]),
    ):
        response = manager_client.get(CHANGELIST, params)
        assert response.status_code == 200
        assert results(response) == expected, params


def test_change_page_shows_avatar_features_in_order_share_page_and_poster(manager_client, shop, products):
    products[1].is_on_shelf = False
    products[1].save(update_fields=["is_on_shelf"])
    response = manager_client.get(change_url(shop))
    assert response.status_code == 200
    html = response.content.decode()
    assert shop.avatar.url in html
    assert reverse("web:share_shop", args=[shop.distributor.code]) in html
    assert reverse("admin:distribution_distributorshop_poster", args=[shop.pk]) in html
    assert moderate_url(shop) in html
    assert html.index("好物2") < html.index("好物0") < html.index("好物1")
    features = response.context["inline_admin_formsets"][0].formset.queryset
    assert [(f.product_id, f.on_shelf) for f in features] == [
        (products[2].pk, True),
        (products[0].pk, True),
        (products[1].pk, False),
    ]
    assert shop.distributor.user.phone not in html


def test_poster_is_served_to_the_console(manager_client, shop):
    response = manager_client.get(reverse("admin:distribution_distributorshop_poster", args=[shop.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (750, 1334)


def test_list_queries_do_not_grow_with_shops(manager_client, level, products):
    open_shop(level, products=products[:2])
    manager_client.get(CHANGELIST)  # warm the session and content type caches
    with CaptureQueriesContext(connection) as few:
        assert manager_client.get(CHANGELIST).status_code == 200
    for i in range(6):
        open_shop(level, nickname=f"会员{i}", name=f"第{i}家小店", products=products, avatar=i % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 7
    assert len(many) == len(few)


# --- edits go through the editor's screening --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("welcome", "加我微信 abc123 领券", "不能包含微信号等联系方式"),
        ("welcome", "电话 138-0013-8000", "不能包含电话号码"),
        ("name", "好物 www.example.com", "不能包含网址链接"),
        ("name", "看不见\u200b的字", "不能包含换行或不可见字符"),
        ("name", "店" * 21, "长度须为 2–20 个字"),
        ("name", "店", "长度须为 2–20 个字"),
        ("welcome", "欢" * 61, "长度须为 0–60 个字"),
    ],
)
def test_admin_refuses_text_the_editor_refuses(manager_client, shop, field, value, message):
    data = form_data(manager_client.get(change_url(shop)).content.decode())
    data[field] = value
    response = manager_client.post(change_url(shop), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["adminform"].form.errors[field]
    shop.refresh_from_db()
    assert (shop.name, shop.welcome) == ("小美的好物", "欢迎光临")
    with pytest.raises(DistributionError):  # the distributor's own editor refuses the same text
        services.update_shop(distributor=shop.distributor, **{"name": shop.name, "welcome": shop.welcome, field: value})


def test_admin_saves_screened_text_and_keeps_the_features(manager_client, manager, shop, products):
    data = form_data(manager_client.get(change_url(shop)).content.decode())
    data.update(name="  小美优选 ", welcome="")
    response = manager_client.post(change_url(shop), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    shop.refresh_from_db()
    assert (shop.name, shop.welcome) == ("小美优选", "")
    assert selectors.feature_ids(shop) == [products[2].pk, products[0].pk, products[1].pk]
    entry = LogEntry.objects.get(object_id=str(shop.pk), user=manager)
    assert entry.action_flag == CHANGE


# --- moderation ------------------------------------------------------------------------------


def test_moderate_shop_resets_to_defaults_and_leaves_a_log_entry(shop, operator, django_capture_on_commit_callbacks):
    storage, old_avatar = shop.avatar.storage, shop.avatar.name
    before = shop.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.moderate_shop(shop=shop, fields_to_reset=["name", "avatar"], actor=operator, reason=" 店名冒充品牌 ")
    shop.refresh_from_db()
    assert shop.name == selectors.default_shop_name(shop.distributor) == "小美的小店"
    assert shop.welcome == "欢迎光临"  # not asked for, kept
    assert not shop.avatar
    assert not storage.exists(old_avatar)
    assert shop.updated_at > before  # the poster is drawn again
    entry = LogEntry.objects.get(pk=entry.pk)
    assert (entry.user_id, entry.object_id, entry.action_flag) == (operator.pk, str(shop.pk), CHANGE)
    assert entry.content_type.model_class() is DistributorShop
    assert "店名" in entry.change_message and "店铺头像" in entry.change_message
    assert "店名冒充品牌" in entry.get_change_message()
    assert "欢迎语" not in entry.change_message


@pytest.mark.parametrize(
    ("fields", "reason", "code"),
    [
        (["name"], "", "reason_required"),
        (["name"], "   ", "reason_required"),
        (["name"], "长" * 201, "reason_required"),
        ([], "违规", "invalid_moderation"),
        (["name", "distributor"], "违规", "invalid_moderation"),
        ("name", "违规", "invalid_moderation"),
    ],
)
def test_moderation_needs_known_fields_and_a_reason(shop, operator, fields, reason, code):
    with pytest.raises(DistributionError) as info:
        services.moderate_shop(shop=shop, fields_to_reset=fields, actor=operator, reason=reason)
    assert info.value.code == code
    shop.refresh_from_db()
    assert (shop.name, shop.welcome, bool(shop.avatar)) == ("小美的好物", "欢迎光临", True)
    assert not LogEntry.objects.exists()


def test_moderation_page_resets_and_history_shows_the_reason(manager_client, manager, shop):
    assert manager_client.get(moderate_url(shop)).status_code == 200
    response = manager_client.post(moderate_url(shop), {"fields_to_reset": ["welcome"], "reason": ""})
    assert response.status_code == 200  # a reason is required
    shop.refresh_from_db()
    assert shop.welcome == "欢迎光临"
    response = manager_client.post(moderate_url(shop), {"fields_to_reset": ["welcome", "name"], "reason": "欢迎语含引流话术"})
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.welcome) == ("小美的小店", "")
    entry = LogEntry.objects.get(object_id=str(shop.pk))
    assert entry.user_id == manager.pk
    history = manager_client.get(reverse("admin:distribution_distributorshop_history", args=[shop.pk]))
    assert history.status_code == 200
    assert "欢迎语含引流话术" in history.content.decode()


def test_bulk_reset_needs_a_reason_then_resets_every_selected_shop(manager_client, shop, level):
    other = open_shop(level, nickname="阿强", name="阿强的小铺", welcome="欢迎常来")
    untouched = open_shop(level, nickname="阿花", name="阿花的小铺", welcome="你好")
    data = {"action": "reset_welcome", "_selected_action": [shop.pk, other.pk], "reason": ""}
    manager_client.post(CHANGELIST, data)
    assert set(DistributorShop.objects.values_list("welcome", flat=True)) == {"欢迎光临", "欢迎常来", "你好"}
    data["reason"] = "批量清理联系方式"
    assert manager_client.post(CHANGELIST, data).status_code == 302
    assert dict(DistributorShop.objects.values_list("pk", "welcome")) == {shop.pk: "", other.pk: "", untouched.pk: "你好"}
    assert sorted(LogEntry.objects.values_list("object_id", flat=True)) == sorted([str(shop.pk), str(other.pk)])


# --- who may change --------------------------------------------------------------------------


def test_finance_sees_shops_but_cannot_change_them(client, shop):
    client.force_login(staff_in("财务"))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "reset_name" not in response.content.decode()  # no moderation actions offered
    page = client.get(change_url(shop))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    assert moderate_url(shop) not in page.content.decode()
    assert client.post(change_url(shop), {"name": "财务改的名字", "welcome": ""}).status_code == 403
    assert client.get(moderate_url(shop)).status_code == 403
    assert client.post(moderate_url(shop), {"fields_to_reset": ["name"], "reason": "试试"}).status_code == 403
    client.post(CHANGELIST, {"action": "reset_name", "_selected_action": [shop.pk], "reason": "试试"})
    shop.refresh_from_db()
    assert shop.name == "小美的好物"
    assert not LogEntry.objects.exists()


def test_staff_without_distribution_rights_get_nothing(client, shop):
    client.force_login(staff_in("供应链"))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(shop)).status_code == 403
    assert client.get(reverse("admin:distribution_distributorshop_poster", args=[shop.pk])).status_code == 403


def test_nobody_adds_or_deletes_shops_here(operator, shop):
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get(CHANGELIST)
    request.user = operator
    model_admin = admin.site._registry[DistributorShop]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, shop)


def test_moderation_notifies_the_distributor(shop, operator):
    from fenxiao.growth.models import Notification

    services.moderate_shop(shop=shop, fields_to_reset=["welcome", "avatar"], actor=operator, reason="欢迎语含联系方式")
    notice = Notification.objects.get(user=shop.distributor.user, kind="shop_moderated")
    assert notice.url == "/dc/shop/"
    assert "欢迎语、店铺头像" in notice.body and "欢迎语含联系方式" in notice.body
