"""The promotions console: pages render for a superuser and for 运营 (finance only reads), saves go
through the rules service (overlap and value refusals shown as form errors), inlines, list actions,
issuing coupons by phone, revoking held coupons, and the 营销 navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from fenxiao.console.home.navigation import group_of
from fenxiao.promotions.models import (
    Coupon,
    FullReduction,
    PromotionAudit,
    PromotionSettings,
    QuantityTier,
    TimedDiscount,
    UserCoupon,
)
from fenxiao.promotions.services import rules
from tests.factories import CategoryFactory, SkuFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = PromotionAudit.Kind
MODELS = ("coupon", "usercoupon", "fullreduction", "timeddiscount", "quantitytier", "promotionsettings", "promotionaudit")


def member_of(name):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=name))
    return type(user).objects.get(pk=user.pk)


def moment(hours: int):
    return timezone.localtime(timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=hours))


def split(value):
    return {"_0": value.strftime("%Y-%m-%d"), "_1": value.strftime("%H:%M:%S")}


def dt(name, value):
    return {f"{name}{suffix}": text for suffix, text in split(value).items()}


def management(prefix, rows, initial=0):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


@pytest.fixture
def operator():
    return StaffFactory()


@pytest.fixture
def coupon(operator):
    return rules.save_coupon(
        actor=operator,
        name="满100减20",
        scope="all",
        kind="amount",
        amount_fen=2000,
        threshold_fen=10000,
        validity="dates",
        valid_until=timezone.now() + timedelta(days=30),
        total_quantity=100,
        per_person_limit=1,
    )


@pytest.fixture
def world(operator, coupon):
    sku = SkuFactory()
    rule = rules.save_full_reduction(
        actor=operator,
        name="满减",
        scope="all",
        basis="amount",
        starts_at=moment(0),
        ends_at=moment(10),
        tiers=[{"threshold": 10000, "amount_off_fen": 1000}],
    )
    discount = rules.save_timed_discount(
        actor=operator,
        name="限时",
        starts_at=moment(0),
        ends_at=moment(10),
        items=[{"sku_id": sku.pk, "mode": "percent", "percent_off_bp": 1000}],
    )
    tier = rules.save_quantity_tier(actor=operator, sku_id=sku.pk, min_quantity=3, percent_off_bp=500)
    held = UserCoupon.objects.create(
        coupon=coupon,
        user=UserFactory(),
        seq=1,
        source="issue",
        valid_from=timezone.now(),
        valid_until=timezone.now() + timedelta(days=3),
    )
    PromotionSettings.objects.get_or_create(pk=1)
    return {
        "coupon": coupon,
        "usercoupon": held,
        "fullreduction": rule,
        "timeddiscount": discount,
        "quantitytier": tier,
        "promotionsettings": PromotionSettings.objects.get(pk=1),
        "promotionaudit": PromotionAudit.objects.first(),
    }


@pytest.mark.parametrize("who", ["superuser", "运营", "财务"])
def test_pages_render(client, world, who):
    client.force_login(StaffFactory() if who == "superuser" else member_of(who))
    for model in MODELS:
        listing = client.get(reverse(f"admin:promotions_{model}_changelist"))
        assert listing.status_code == 200, (model, listing.status_code)
        change = client.get(reverse(f"admin:promotions_{model}_change", args=[world[model].pk]))
        assert change.status_code == 200, (model, change.status_code)
    for model in ("coupon", "fullreduction", "timeddiscount", "quantitytier"):
        add = client.get(reverse(f"admin:promotions_{model}_add"))
        assert add.status_code == (403 if who == "财务" else 200), (model, add.status_code)


def test_coupon_list_shows_figures_and_yuan(client, world):
    client.force_login(member_of("运营"))
    page = client.get(reverse("admin:promotions_coupon_changelist")).content.decode()
    assert "满 ¥100 减 ¥20" in page and "0/100" in page and "¥0.00" in page
    assert "带动成交" in page and "优惠成本" in page
    rule_page = client.get(reverse("admin:promotions_fullreduction_change", args=[world["fullreduction"].pk])).content.decode()
    assert "订单 0 笔，带动成交 ¥0.00，优惠成本 ¥0.00" in rule_page


def test_finance_cannot_change(client, world):
    client.force_login(member_of("财务"))
    coupon = world["coupon"]
    response = client.post(reverse("admin:promotions_coupon_change", args=[coupon.pk]), {"name": "改"})
    assert response.status_code == 403
    page = client.get(reverse("admin:promotions_coupon_change", args=[coupon.pk])).content.decode()
    assert 'name="name"' not in page
    assert client.get(reverse("admin:promotions_coupon_issue", args=[coupon.pk])).status_code == 403


def coupon_form(**changes):
    data = {
        "name": "新人券",
        "scope": "all",
        "kind": "amount",
        "amount_fen": "5",
        "percent_off_bp": "0",
        "threshold_fen": "0",
        "validity": "days",
        "valid_days": "7",
        "total_quantity": "10",
        "per_person_limit": "1",
        "claimable": "on",
        "description": "",
    }
    return {**data, **changes}


def test_add_coupon_through_the_service(client):
    staff = member_of("运营")
    client.force_login(staff)
    category = CategoryFactory()
    response = client.post(reverse("admin:promotions_coupon_add"), coupon_form(scope="categories", categories=[category.pk]))
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Coupon.objects.get(name="新人券")
    assert (saved.amount_fen, saved.valid_days, saved.created_by_id) == (500, 7, staff.pk)
    assert list(saved.categories.values_list("pk", flat=True)) == [category.pk]
    assert PromotionAudit.objects.filter(kind=Kind.COUPON, object_id=saved.pk, action="created", actor=staff).exists()
    # a refusal of the service shows on the field it names
    refused = client.post(reverse("admin:promotions_coupon_add"), coupon_form(name="坏券", scope="products"))
    assert refused.status_code == 200
    assert "请选择至少一个商品" in refused.content.decode()
    assert not Coupon.objects.filter(name="坏券").exists()


def test_full_reduction_with_tiers_and_overlap_error(client, operator):
    client.force_login(member_of("运营"))
    rows = [
        {"threshold": "10000", "amount_off_fen": "10", "gift_quantity": "1", "points": "0"},
        {"threshold": "20000", "amount_off_fen": "25", "free_shipping": "on", "gift_quantity": "1", "points": "50"},
    ]
    data = {
        "name": "满减送",
        "basis": "amount",
        "scope": "all",
        **dt("starts_at", moment(0)),
        **dt("ends_at", moment(10)),
        **management("tiers", rows),
    }
    response = client.post(reverse("admin:promotions_fullreduction_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = FullReduction.objects.get(name="满减送")
    assert list(rule.tiers.values_list("threshold", "amount_off_fen", "free_shipping")) == [
        (10000, 1000, False),
        (20000, 2500, True),
    ]
    clash = client.post(reverse("admin:promotions_fullreduction_add"), {**data, "name": "第二个"})
    assert clash.status_code == 200 and "满减送「满减送」" in clash.content.decode()
    bad_tiers = {**data, "name": "倒序", **dt("starts_at", moment(20)), **dt("ends_at", moment(30))}
    bad_tiers.update(
        management("tiers", [{"threshold": "10000", "amount_off_fen": "30"}, {"threshold": "20000", "amount_off_fen": "20"}])
    )
    refused = client.post(reverse("admin:promotions_fullreduction_add"), bad_tiers)
    assert refused.status_code == 200 and "门槛更高的档位减的金额不能更少" in refused.content.decode()
    assert FullReduction.objects.count() == 1


def test_timed_discount_with_items_and_overlap_error(client):
    client.force_login(member_of("运营"))
    sku = SkuFactory()
    data = {
        "name": "秒杀",
        **dt("starts_at", moment(0)),
        **dt("ends_at", moment(5)),
        **management("items", [{"sku": str(sku.pk), "mode": "percent", "amount_off_fen": "0", "percent_off_bp": "20"}]),
    }
    response = client.post(reverse("admin:promotions_timeddiscount_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    discount = TimedDiscount.objects.get(name="秒杀")
    assert list(discount.items.values_list("sku_id", "percent_off_bp")) == [(sku.pk, 2000)]
    clash = client.post(reverse("admin:promotions_timeddiscount_add"), {**data, "name": "又一个"})
    assert clash.status_code == 200 and "限时折扣「秒杀」" in clash.content.decode()
    assert TimedDiscount.objects.count() == 1


def test_quantity_tier_form_refusal(client):
    client.force_login(member_of("运营"))
    sku = SkuFactory()
    ok = client.post(reverse("admin:promotions_quantitytier_add"), {"sku": sku.pk, "min_quantity": "3", "percent_off_bp": "5"})
    assert ok.status_code == 302
    again = client.post(reverse("admin:promotions_quantitytier_add"), {"sku": sku.pk, "min_quantity": "3", "percent_off_bp": "6"})
    assert again.status_code == 200 and "相同起购件数" in again.content.decode()
    assert QuantityTier.objects.get().percent_off_bp == 500


def test_status_actions(client, world):
    client.force_login(member_of("运营"))
    url = reverse("admin:promotions_fullreduction_changelist")
    rule = world["fullreduction"]
    client.post(url, {"action": "pause_selected", "_selected_action": [rule.pk]})
    assert FullReduction.objects.get(pk=rule.pk).status == "paused"
    rules.save_full_reduction(
        actor=None,
        name="另一个",
        scope="all",
        basis="amount",
        starts_at=moment(0),
        ends_at=moment(10),
        tiers=[{"threshold": 100, "amount_off_fen": 10}],
    )
    response = client.post(url, {"action": "resume_selected", "_selected_action": [rule.pk]}, follow=True)
    assert "另一个" in response.content.decode()  # the overlap refusal, shown against the activity
    assert FullReduction.objects.get(pk=rule.pk).status == "paused"
    client.post(url, {"action": "end_selected", "_selected_action": [rule.pk]})
    assert FullReduction.objects.get(pk=rule.pk).status == "ended"


def test_issue_page(client, coupon):
    staff = member_of("运营")
    client.force_login(staff)
    url = reverse("admin:promotions_coupon_issue", args=[coupon.pk])
    assert client.get(url).status_code == 200
    alice, bob = UserFactory(), UserFactory()
    unknown = client.post(url, {"phones": f"{alice.phone}\n13000000000"})
    assert unknown.status_code == 200 and "13000000000" in unknown.content.decode()
    assert not UserCoupon.objects.exists()
    done = client.post(url, {"phones": f"{alice.phone}\n {bob.phone} \n{alice.phone}"})
    assert done.status_code == 302
    assert set(UserCoupon.objects.filter(coupon=coupon).values_list("user_id", flat=True)) == {alice.pk, bob.pk}
    assert Coupon.objects.get(pk=coupon.pk).issued_count == 2


def test_revoke_action(client, world):
    client.force_login(member_of("运营"))
    held = world["usercoupon"]
    url = reverse("admin:promotions_usercoupon_changelist")
    confirm = client.post(url, {"action": "revoke_selected", "_selected_action": [held.pk]})
    assert confirm.status_code == 200 and "收回原因" in confirm.content.decode()
    client.post(url, {"action": "revoke_selected", "_selected_action": [held.pk], "apply": "1", "reason": "误发"})
    assert UserCoupon.objects.get(pk=held.pk).status == UserCoupon.Status.REVOKED
    search = client.get(url, {"q": held.user.phone})
    assert search.status_code == 200 and held.user.phone in search.content.decode()


def test_promotions_sit_in_the_marketing_navigation(client, world):
    assert group_of("promotions", "coupon") == "marketing"
    assert group_of("promotions", "promotionsettings") == "settings"
    client.force_login(member_of("运营"))
    home = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:promotions_coupon_changelist") in home
