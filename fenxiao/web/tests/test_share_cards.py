"""WeChat share cards on the product, shared-shop and home pages: the signed `wx.config` appears only
inside WeChat's browser with WeChat configured, the card of a distributor links to its own share link
(its code and a channel tag, counted when a friend opens it), anyone else's to the page itself, and
nothing runs as an inline script."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from fenxiao.catalog.models import ProductImage
from fenxiao.distribution.models import Distributor, Visit
from fenxiao.wechat import tokens
from tests.factories import CategoryFactory, DistributorFactory, LevelFactory, ProductFactory, SkuFactory, UserFactory

pytestmark = pytest.mark.django_db

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN"
)
WECOM_UA = WECHAT_UA + " wxwork/4.1.22"
SAFARI_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
APPID = "wx5e1fc0ffee000001"

SHARE_JSON = re.compile(r'<script id="wx-share" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def wechat_on(settings):
    """The Official Account through the development provider (tickets made up locally)."""
    settings.FENXIAO_WECHAT_PROVIDER = "dev"
    settings.FENXIAO_WECHAT_APPID = APPID
    settings.FENXIAO_WECHAT_SECRET = "dev-secret"


@pytest.fixture
def item():
    product = ProductFactory(name="玻尿酸精华", subtitle="补水保湿", category=CategoryFactory(name="美妆", slug="beauty"))
    SkuFactory(product=product, retail_fen=15000, cost_fen=5000)
    return product


@pytest.fixture
def seller():
    return DistributorFactory(user=UserFactory(nickname="小美"), level=LevelFactory(rank=1, direct_rate_bp=1500))


@pytest.fixture
def buyer(client):
    """Inside WeChat every visitor is signed in (silently, with the Official Account): a consumer."""
    user = UserFactory(nickname="顾客")
    client.force_login(user)
    return user


def card(response) -> dict | None:
    found = SHARE_JSON.search(response.content.decode())
    return json.loads(found.group(1)) if found else None


def test_product_page_in_wechat_carries_the_signed_config_and_the_card(client, wechat_on, item, buyer):
    path = reverse("web:product", args=[item.pk])
    response = client.get(path + "?from=singlemessage", HTTP_USER_AGENT=WECHAT_UA)
    share = card(response)
    assert share is not None
    config = share["config"]
    assert config["appId"] == APPID
    assert config["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
    # Signed over the page exactly as the browser shows it, query included, with the cached ticket.
    page = f"http://testserver{path}?from=singlemessage"
    plain = f"jsapi_ticket={tokens.jsapi_ticket()}&noncestr={config['nonceStr']}&timestamp={config['timestamp']}&url={page}"
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()
    # A buyer who is not a distributor shares the page itself (without the query it came with).
    assert share["chat"] == {
        "title": "玻尿酸精华",
        "desc": "补水保湿",
        "link": f"http://testserver{path}",
        "imgUrl": "http://testserver/static/web/share-card.png",
    }
    assert share["moments"] == {"title": "玻尿酸精华", "link": f"http://testserver{path}", "imgUrl": share["chat"]["imgUrl"]}
    html = response.content.decode()
    assert "/static/vendor/weixin/jweixin.js" in html
    assert "/static/web/wechat-share.js" in html


def test_no_inline_script_runs_on_a_page_with_a_card(client, wechat_on, item, buyer):
    response = client.get(reverse("web:product", args=[item.pk]), HTTP_USER_AGENT=WECHAT_UA)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("script-src", 1)[1].split(";", 1)[0]
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.content.decode(), re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()


@pytest.mark.parametrize("agent", [SAFARI_UA, WECOM_UA, ""])
def test_outside_wechat_there_is_no_config_and_no_sdk(client, wechat_on, item, buyer, agent):
    response = client.get(reverse("web:product", args=[item.pk]), HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    assert card(response) is None
    assert "jweixin" not in response.content.decode()


def test_without_wechat_configured_there_is_no_config(client, settings, item, buyer):
    settings.FENXIAO_WECHAT_PROVIDER = ""
    response = client.get(reverse("web:product", args=[item.pk]), HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 200
    assert card(response) is None
    assert "jweixin" not in response.content.decode()


def test_the_card_picture_is_the_product_cover_as_an_absolute_url(client, wechat_on, item, buyer):
    ProductImage.objects.create(product=item, image="products/2026/12/cover.jpg", sort_order=0)
    ProductImage.objects.create(product=item, image="products/2026/12/second.jpg", sort_order=1)
    share = card(client.get(reverse("web:product", args=[item.pk]), HTTP_USER_AGENT=WECHAT_UA))
    assert share["chat"]["imgUrl"] == "http://testserver/media/products/2026/12/cover.jpg"


def test_a_distributor_shares_its_own_product_link_with_a_channel_per_target(client, wechat_on, item, seller):
    other = DistributorFactory()
    client.force_login(seller.user)
    # Even on another distributor's link, the card carries the viewer's own code.
    response = client.get(reverse("web:share_product", args=[other.code, item.pk]), HTTP_USER_AGENT=WECHAT_UA)
    share = card(response)
    own = f"http://testserver{reverse('web:share_product', args=[seller.code, item.pk])}"
    assert share["chat"]["link"] == own + "?ch=wx_chat"
    assert share["moments"]["link"] == own + "?ch=wx_moments"

    # A friend opening the card's link is counted as a visit of the seller through that channel.
    friend = Client()
    friend.force_login(UserFactory())
    assert friend.get(share["chat"]["link"].removeprefix("http://testserver"), HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    visit = Visit.objects.filter(distributor=seller).latest("id")
    assert (visit.product_id, visit.channel) == (item.pk, "wx_chat")


def test_shared_shop_card_links_to_the_shop_for_buyers_and_to_the_viewers_own_shop(client, wechat_on, item, seller, buyer):
    path = reverse("web:share_shop", args=[seller.code])
    share = card(client.get(path + "?ch=wx_chat", HTTP_USER_AGENT=WECHAT_UA))
    assert share["chat"]["link"] == f"http://testserver{path}"
    assert share["chat"]["title"] == "小美的小店"
    assert share["chat"]["desc"] == "品牌官方授权分销"

    viewer = DistributorFactory()
    client.force_login(viewer.user)
    share = card(client.get(path, HTTP_USER_AGENT=WECHAT_UA))
    assert share["chat"]["link"] == f"http://testserver{reverse('web:share_shop', args=[viewer.code])}?ch=wx_chat"


def test_home_card_of_a_distributor_links_to_its_shop(client, wechat_on, item, seller, buyer):
    share = card(client.get(reverse("web:home"), HTTP_USER_AGENT=WECHAT_UA))
    assert share["chat"]["link"] == "http://testserver/"
    client.force_login(seller.user)
    share = card(client.get(reverse("web:home"), HTTP_USER_AGENT=WECHAT_UA))
    assert share["moments"]["link"] == f"http://testserver{reverse('web:share_shop', args=[seller.code])}?ch=wx_moments"


def test_an_applicant_is_not_yet_a_distributor_on_the_card(client, wechat_on, item):
    applicant = DistributorFactory(status=Distributor.Status.PENDING)
    client.force_login(applicant.user)
    path = reverse("web:product", args=[item.pk])
    share = card(client.get(path, HTTP_USER_AGENT=WECHAT_UA))
    assert share["chat"]["link"] == f"http://testserver{path}"


def test_an_htmx_fragment_carries_no_second_card(client, wechat_on, item, seller, buyer):
    path = reverse("web:share_shop", args=[seller.code])
    assert card(client.get(path, HTTP_USER_AGENT=WECHAT_UA)) is not None
    response = client.get(path + "?c=beauty", HTTP_USER_AGENT=WECHAT_UA, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert card(response) is None
