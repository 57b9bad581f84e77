"""Every page at a 375px phone width: it loads without errors, nothing scrolls sideways, and a
full-page screenshot lands in test-artifacts/pages/ for a look by eye."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from fenxiao.catalog.models import ProductImage
from fenxiao.distribution import services
from fenxiao.growth.models import ApplyInvitation, Notification
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]


def _png(color: tuple[int, int, int]) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), color).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="product.png")


def _catalog():
    beauty = CategoryFactory(name="美妆护肤", slug="beauty")
    food = CategoryFactory(name="休闲食品", slug="food")
    CategoryFactory(name="家用电器", slug="appliance")
    serum = ProductFactory(
        name="玻尿酸保湿精华液 30ml 深层补水",
        subtitle="三重玻尿酸，清爽不黏腻",
        description="产品功效：补水保湿。\n\n使用方法：洁面后取适量轻拍至吸收。",
        category=beauty,
    )
    SkuFactory(product=serum, spec="30ml", retail_fen=15000, suggested_retail_fen=16800, control_fen=12000)
    SkuFactory(product=serum, spec="50ml 家庭装", retail_fen=23900, suggested_retail_fen=25900, control_fen=20000, stock=3)
    SkuFactory(product=serum, spec="100ml 限量", retail_fen=39900, suggested_retail_fen=42900, control_fen=35000, stock=0)
    nuts = ProductFactory(name="每日坚果礼盒", subtitle="7 种坚果科学配比", category=food)
    SkuFactory(product=nuts, retail_fen=5000, suggested_retail_fen=5900, control_fen=4500)
    ProductImage.objects.create(product=nuts, image=_png((214, 170, 120)), alt="每日坚果礼盒")
    for index, name in enumerate(["电动牙刷", "空气炸锅 5L", "手工红糖"]):
        product = ProductFactory(name=name, category=food if index == 2 else beauty)
        SkuFactory(product=product, retail_fen=9900 + index * 1000, suggested_retail_fen=12900, control_fen=9000)
    return serum


def _leaderboard_prizes(shop) -> None:
    """Prizes on the monthly sales board and last month closed with the shop among the winners."""
    from datetime import timedelta

    from fenxiao.analytics.selectors import period_for
    from fenxiao.growth.services import prizes as services_prizes
    from tests.factories import sale

    start = period_for("month", -1).start
    sale(shop, 12800, completed_at=start + timedelta(days=3))
    sale(
        DistributorFactory(level=shop.level, user=UserFactory(nickname="销售冠军")), 56000, completed_at=start + timedelta(days=4)
    )
    services_prizes.save_prize(board="sales", period_kind="month", rank_from=1, rank_to=1, reward="cash", cash_fen=50000)
    services_prizes.save_prize(
        board="sales", period_kind="month", rank_from=2, rank_to=10, reward="gift", gift_name="品牌定制礼盒"
    )
    services_prizes.close_period("sales", "month")


def _check(page, url: str, name: str, artifacts) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(url)
    assert response is not None and response.status < 500, f"{name}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    folder = artifacts / "pages"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the 375px screen"
    assert not errors, f"{name}: script errors {errors}"
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"{name}: images did not load {broken}"
    weui_loaded = page.evaluate("getComputedStyle(document.querySelector('.weui-tabbar')).display")
    assert weui_loaded == "flex", f"{name}: WeUI stylesheet did not load"


def test_every_page_fits_a_375px_screen(live_server, browser, artifacts):
    from tests.e2e.conftest import PHONE

    level = LevelFactory(name="普通分销商", rank=1, direct_rate_bp=1500, indirect_rate_bp=550)
    shop = DistributorFactory(user=UserFactory(nickname="小美的好物分享"), level=level)
    for index in range(4):
        DistributorFactory(inviter=shop, level=level, user=UserFactory(nickname=f"团队成员{index}"))
    serum = _catalog()
    consumer = UserFactory(nickname="阿华")
    services.bind_customer(customer=consumer, distributor=shop)
    ApplyInvitation.objects.create(user=consumer, invited_by=shop)
    Notification.objects.create(
        user=consumer,
        kind="apply_invitation",
        title="成为分销商，分享赚佣金",
        url="/apply/",
        body="你的订单已完成。申请成为分销商，把喜欢的商品分享给好友，好友下单你就能获得佣金。",
    )
    Notification.objects.create(
        user=shop.user, kind="level_change", title="恭喜升级为普通分销商", url="/dc/level/", read_at=timezone.now()
    )
    _leaderboard_prizes(shop)
    base = live_server.url

    anonymous = browser.new_context(locale="zh-CN", **PHONE)
    page = anonymous.new_page()
    _check(page, f"{base}/", "home", artifacts)
    _check(page, f"{base}/?c=food", "home-food", artifacts)
    _check(page, f"{base}/p/{serum.pk}/", "product", artifacts)
    _check(page, f"{base}/s/{shop.code}", "share-shop", artifacts)
    _check(page, f"{base}/s/{shop.code}/p/{serum.pk}", "share-product", artifacts)
    _check(page, f"{base}/s/NOPE99", "not-found", artifacts)
    _check(page, f"{base}/login/", "login", artifacts)
    _check(page, f"{base}/register/", "register", artifacts)
    page.get_by_label("手机号", exact=True).fill("123")
    page.get_by_label("密码", exact=True).fill("x")
    page.get_by_role("button", name="注册并登录").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "pages" / "register-error.png"), full_page=True)
    anonymous.close()

    for user, pages in (
        (consumer, [("/me/", "me-consumer"), ("/me/notifications/", "notifications"), ("/apply/", "apply-review")]),
        (
            shop.user,
            [
                ("/dc/", "distributor-center"),
                (f"/p/{serum.pk}/", "product-as-distributor"),
                ("/me/", "me-distributor"),
                ("/dc/earnings/", "earnings"),
                ("/dc/earnings/statement/", "earnings-statement"),
                ("/me/withdraw/", "withdraw-kyc"),
                ("/me/kyc/", "kyc"),
                ("/me/withdrawals/", "withdrawals"),
                ("/dc/level/", "level"),
                ("/dc/team/", "team"),
                ("/dc/team/tree/", "team-tree"),
                ("/dc/leaderboard/", "leaderboard"),
                ("/dc/leaderboard/?board=sales&period=last_month", "leaderboard-closed"),
                ("/dc/shop/", "shop-editor"),
                ("/dc/invitations/", "invitations"),
                ("/me/notifications/", "notifications-distributor"),
            ],
        ),
    ):
        context = browser.new_context(locale="zh-CN", **PHONE)
        page = context.new_page()
        page.goto(f"{base}/login/")
        page.get_by_label("手机号", exact=True).fill(user.phone)
        page.get_by_label("密码", exact=True).fill("pass-1234")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{base}/me/")
        for path, name in pages:
            _check(page, f"{base}{path}", name, artifacts)
        context.close()

    services.update_settings(admission_mode="threshold", threshold_fen=9900)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.get_by_label("手机号", exact=True).fill(consumer.phone)
    page.get_by_label("密码", exact=True).fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/me/")
    page.goto(f"{base}/apply/")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{base}/apply/")
    _check(page, f"{base}/apply/", "apply-awaiting-purchase", artifacts)
    context.close()
