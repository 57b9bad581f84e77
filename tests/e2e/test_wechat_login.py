"""Inside WeChat's browser: a visitor opens a distributor's product link, is authorized (the dev
provider's authorization page stands in for WeChat's), lands logged in on the product page and belongs
to that distributor."""

from __future__ import annotations

import os
import re

import pytest

from fenxiao.distribution.models import Binding, Visit
from fenxiao.wechat.models import WeChatIdentity
from tests.e2e.conftest import WECHAT_UA
from tests.factories import DistributorFactory, ProductFactory, SkuFactory, UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_db")]


def test_wechat_visitor_opens_a_product_link_and_is_signed_in_and_bound(live_server, browser, settings, artifacts):
    from playwright.sync_api import expect

    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = "wxe2e0000000000001"
    shop = DistributorFactory(user=UserFactory(nickname="小美"))
    product = ProductFactory(name="玻尿酸精华")
    SkuFactory(product=product, spec="30ml", retail_fen=15000)

    context = browser.new_context(
        locale="zh-CN", user_agent=WECHAT_UA, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        link = f"{live_server.url}/s/{shop.code}/p/{product.pk}?ch=wx_chat"
        page.goto(link)
        expect(page).to_have_url(re.compile(r"/wechat/dev/authorize\?"))
        expect(page.get_by_text("本站申请获得你的微信身份，用于登录")).to_be_visible()
        page.get_by_role("button", name="授权登录").click()

        expect(page).to_have_url(link)
        expect(page.get_by_role("heading", name="玻尿酸精华")).to_be_visible()
        page.screenshot(path=str(artifacts / "wechat-login-product.png"), full_page=True)

        identity = WeChatIdentity.objects.get()
        assert Binding.objects.get(customer=identity.user).distributor == shop
        assert Visit.objects.filter(distributor=shop, visitor=identity.user, channel="wx_chat").count() == 1

        page.goto(f"{live_server.url}/me/")
        expect(page).to_have_url(re.compile(r"/me/$"))  # logged in: no login form
        expect(page.get_by_text("已绑定微信")).to_be_visible()
        expect(page.get_by_text("小美的小店")).to_be_visible()
    finally:
        context.close()
