"""The JS-SDK page configuration: the signature against known vectors, the fragment left out, other
sites' URLs refused, and the ticket obtained from WeChat's API (a local fake of its token and ticket
endpoints) once for all pages."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from fenxiao.common.errors import DomainError
from fenxiao.wechat import jssdk

pytestmark = pytest.mark.django_db

# The example of WeChat's JS-SDK documentation (附录1 JS-SDK使用权限签名算法).
DOC_TICKET = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
DOC_NONCE = "Wm3WZYTPz0wzccnW"
DOC_TIMESTAMP = 1414587457
DOC_URL = "http://mp.weixin.qq.com?params=value"
DOC_SIGNATURE = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"

APPID = "wx1234567890abcdef"
SECRET = "test-secret-not-real"


# --- the signature ---------------------------------------------------------------------------------


def test_signature_matches_the_documented_example():
    assert jssdk.signature(ticket=DOC_TICKET, nonce=DOC_NONCE, timestamp=DOC_TIMESTAMP, url=DOC_URL) == DOC_SIGNATURE
    assert jssdk.signature(ticket=DOC_TICKET, nonce=DOC_NONCE, timestamp=str(DOC_TIMESTAMP), url=DOC_URL) == DOC_SIGNATURE


@pytest.mark.parametrize(
    ("ticket", "nonce", "timestamp", "url", "expected"),
    [
        # Worked out with `printf '%s' 'jsapi_ticket=…&noncestr=…&timestamp=…&url=…' | sha1sum`.
        (
            "HoagFKDcsGMVCIY2vOjf9nGrDRn7fZbJ1QmAnN9LNKMMJ0lQmhpO7aJZQtdbCsuDsNWr8eBYFyEaZg8ewKRHkA",
            "Fx3Tq9Lk2PzR7mWa",
            1735689600,
            "https://shop.example.cn/s/DEMO01/p/42?ch=wx_chat&from=singlemessage",
            "0920bfb598f6c1823f30e5ae15d3ed32a20ecc1b",
        ),
        (
            "kgt8ON7yVITDhtdwci0qeS3ahjwmX8T3c0jCVj_V-Is9QbNCR6KbQZb5ms7kHgwrR9QbuqOkMQhxVVUaC1CqFA",
            "abcdefghijklmnop",
            1,
            "http://127.0.0.1:8000/",
            "402e5d4a21135012fecd9ad5278e0e6df614c3c4",
        ),
    ],
)
def test_signature_vectors(ticket, nonce, timestamp, url, expected):
    assert jssdk.signature(ticket=ticket, nonce=nonce, timestamp=timestamp, url=url) == expected


def test_the_fragment_is_not_signed():
    plain = jssdk.signature(ticket=DOC_TICKET, nonce=DOC_NONCE, timestamp=DOC_TIMESTAMP, url=DOC_URL)
    assert jssdk.signature(ticket=DOC_TICKET, nonce=DOC_NONCE, timestamp=DOC_TIMESTAMP, url=DOC_URL + "#wechat_redirect") == plain
    assert jssdk.strip_fragment("https://a.cn/p/1/?x=1#top#more") == "https://a.cn/p/1/?x=1"
    # Any other change to the URL is a different signature (the query is signed as it is).
    assert jssdk.signature(ticket=DOC_TICKET, nonce=DOC_NONCE, timestamp=DOC_TIMESTAMP, url=DOC_URL + "&x=1") != plain


def test_nonces_are_16_letters_or_digits_and_differ():
    nonces = {jssdk.new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 16 and n.isascii() and n.isalnum() for n in nonces)


# --- which pages may be signed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/p/1/",
        "https://shop.example.cn.evil.com/",
        "https://user@evil.example.com/",
        "https://shop.example.cn@evil.example.com/",
        "javascript://shop.example.cn/%0aalert(1)",
        "ftp://shop.example.cn/",
        "/p/1/",
        "",
    ],
)
def test_urls_of_other_sites_are_refused(settings, url):
    settings.ALLOWED_HOSTS = ["shop.example.cn"]
    with pytest.raises(DomainError) as caught:
        jssdk.own_page_url(url)
    assert caught.value.code == "invalid_input"
    assert caught.value.detail["field"] == "url"


def test_own_pages_are_accepted_without_their_fragment(settings):
    settings.ALLOWED_HOSTS = ["shop.example.cn", ".example.org"]
    assert jssdk.own_page_url("https://shop.example.cn/p/1/?ch=a#x") == "https://shop.example.cn/p/1/?ch=a"
    assert jssdk.own_page_url("http://m.example.org:8000/s/AB") == "http://m.example.org:8000/s/AB"


def test_without_wechat_configured_there_is_no_config(settings):
    settings.ALLOWED_HOSTS = ["shop.example.cn"]
    settings.FENXIAO_WECHAT_PROVIDER = ""
    assert jssdk.page_config("https://shop.example.cn/") is None
    # A foreign URL is refused even then: it is the caller's mistake, not a missing setting.
    with pytest.raises(DomainError):
        jssdk.page_config("https://evil.example.com/")


# --- the ticket from WeChat's API -------------------------------------------------------------------


class FakeWeChatApi:
    """WeChat's stable access token and JS-SDK ticket endpoints, answering as api.weixin.qq.com does."""

    def __init__(self, ticket: str):
        self.ticket = ticket
        self.token = "ACCESS_TOKEN_" + hashlib.sha1(ticket.encode()).hexdigest()[:16]
        self.calls: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                path = urlsplit(self.path).path
                fake.calls.append(path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if path != "/cgi-bin/stable_token":
                    return self._answer({"errcode": 40066, "errmsg": "invalid url"})
                if body.get("appid") != APPID or body.get("secret") != SECRET or body.get("grant_type") != "client_credential":
                    return self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
                return self._answer({"access_token": fake.token, "expires_in": 7200})

            def do_GET(self):
                parts = urlsplit(self.path)
                fake.calls.append(parts.path)
                query = parse_qs(parts.query)
                if parts.path != "/cgi-bin/ticket/getticket":
                    return self._answer({"errcode": 40066, "errmsg": "invalid url"})
                if query.get("access_token") != [fake.token]:
                    return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                if query.get("type") != ["jsapi"]:
                    return self._answer({"errcode": 40097, "errmsg": "invalid args"})
                return self._answer({"errcode": 0, "errmsg": "ok", "ticket": fake.ticket, "expires_in": 7200})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wechat_api(settings):
    with FakeWeChatApi(DOC_TICKET) as fake:
        settings.FENXIAO_WECHAT_PROVIDER = "wechat"
        settings.FENXIAO_WECHAT_APPID = APPID
        settings.FENXIAO_WECHAT_SECRET = SECRET
        settings.FENXIAO_WECHAT_API_BASE = fake.base_url
        settings.ALLOWED_HOSTS = ["shop.example.cn"]
        yield fake


def test_page_config_is_signed_with_the_ticket_from_wechat(wechat_api):
    url = "https://shop.example.cn/s/DEMO01/p/42?ch=wx_chat"
    config = jssdk.page_config(url + "#share", now=DOC_TIMESTAMP)
    assert set(config) == {"appId", "timestamp", "nonceStr", "signature", "jsApiList"}
    assert config["appId"] == APPID
    assert config["timestamp"] == DOC_TIMESTAMP
    assert config["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
    expected = hashlib.sha1(
        f"jsapi_ticket={DOC_TICKET}&noncestr={config['nonceStr']}&timestamp={DOC_TIMESTAMP}&url={url}".encode()
    ).hexdigest()
    assert config["signature"] == expected
    assert wechat_api.calls == ["/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"]


def test_the_ticket_is_fetched_once_for_many_pages(wechat_api):
    configs = [jssdk.page_config(f"https://shop.example.cn/p/{n}/") for n in range(5)]
    assert all(config is not None for config in configs)
    assert len({config["nonceStr"] for config in configs}) == 5
    assert wechat_api.calls == ["/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"]


def test_a_wechat_outage_means_no_card_not_a_broken_page(wechat_api, settings):
    settings.FENXIAO_WECHAT_SECRET = "wrong-secret"  # WeChat answers errcode 40125
    assert jssdk.page_config("https://shop.example.cn/") is None
    assert wechat_api.calls == ["/cgi-bin/stable_token"]
