"""A local stand-in for WeChat's server API (api.weixin.qq.com), the endpoints the shop calls, served
over real HTTP from a thread. Codes are issued by the test (as WeChat issues them to the user's
client), are good for one use and expire; access tokens and JS-SDK tickets expire and can be revoked,
after which WeChat answers 40001 / 42001 as it does."""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from PIL import Image

WXACODE_COLOUR = (200, 30, 120)  # the fake's codes: one solid colour, easy to find on a poster


def wxacode_png(scene: str, width: int) -> bytes:
    """What the fake answers for a code: a square of WXACODE_COLOUR (JPEG, as WeChat sends)."""
    out = io.BytesIO()
    Image.new("RGB", (width, width), WXACODE_COLOUR).save(out, format="JPEG", quality=95)
    return out.getvalue()


@dataclass
class Person:
    openid: str
    unionid: str = ""
    nickname: str = ""
    headimgurl: str = ""


@dataclass
class Code:
    person: Person
    appid: str
    scope: str
    expires_at: float
    used: bool = False


@dataclass
class FakeWeChat:
    appid: str
    secret: str
    mp_appid: str
    mp_secret: str
    code_seconds: float = 300.0
    token_seconds: int = 7200
    codes: dict[str, Code] = field(default_factory=dict)
    user_tokens: dict[str, tuple[Person, float]] = field(default_factory=dict)
    platform_tokens: dict[str, float] = field(default_factory=dict)  # value -> expires at
    token_apps: dict[str, str] = field(default_factory=dict)  # platform token -> the appid it was issued to
    wxacodes: list[dict] = field(default_factory=list)  # the mini-program codes made (their request bodies)
    wxacode_refusal: dict | None = None  # the errcode answer to give to code requests instead of a code
    calls: list[tuple[str, dict]] = field(default_factory=list)
    token_fetches: int = 0
    ticket_fetches: int = 0
    fetch_delay: float = 0.0  # seconds each token fetch takes (to show that callers wait for one fetch)
    broken_next: int = 0  # answer the next N calls with HTTP 502 and no JSON
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what WeChat's client does on the user's side -------------------------------------------

    def issue_code(self, person: Person, *, appid: str | None = None, scope: str = "snsapi_base") -> str:
        code = "0" + secrets.token_hex(15)  # 32 characters, like WeChat's
        with self.lock:
            self.codes[code] = Code(person, appid or self.appid, scope, time.time() + self.code_seconds)
        return code

    def expire_code(self, code: str) -> None:
        with self.lock:
            self.codes[code].expires_at = time.time() - 1

    def revoke_platform_tokens(self) -> None:
        """WeChat no longer accepts the tokens it issued (their secret was reset, or they lapsed early)."""
        with self.lock:
            self.platform_tokens.clear()

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]

    # --- the endpoints --------------------------------------------------------------------------

    def _take_code(self, code: str, appid: str) -> tuple[Code | None, dict | None]:
        with self.lock:
            found = self.codes.get(code)
            if found is None or found.appid != appid or found.expires_at < time.time():
                return None, {"errcode": 40029, "errmsg": "invalid code, rid: fake"}
            if found.used:
                return None, {"errcode": 40163, "errmsg": "code been used, rid: fake"}
            found.used = True
            return found, None

    def _platform_ok(self, token: str) -> dict | None:
        with self.lock:
            expires = self.platform_tokens.get(token)
        if expires is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if expires < time.time():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def handle(self, method: str, path: str, query: dict[str, str], body: dict) -> tuple[int, dict]:
        if path == "/sns/oauth2/access_token":
            if query.get("appid") != self.appid or query.get("secret") != self.secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            found, error = self._take_code(query.get("code", ""), self.appid)
            if error:
                return 200, error
            token = "ut_" + secrets.token_hex(12)
            with self.lock:
                self.user_tokens[token] = (found.person, time.time() + 7200)
            answer = {
                "access_token": token,
                "expires_in": 7200,
                "refresh_token": "rt_" + secrets.token_hex(12),
                "openid": found.person.openid,
                "scope": found.scope,
            }
            if found.person.unionid:
                answer["unionid"] = found.person.unionid
            return 200, answer
        if path == "/sns/userinfo":
            with self.lock:
                entry = self.user_tokens.get(query.get("access_token", ""))
            if entry is None or entry[0].openid != query.get("openid"):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            person = entry[0]
            answer = {"openid": person.openid, "nickname": person.nickname, "headimgurl": person.headimgurl}
            if person.unionid:
                answer["unionid"] = person.unionid
            return 200, answer
        if path == "/sns/jscode2session":
            if query.get("appid") != self.mp_appid or query.get("secret") != self.mp_secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            found, error = self._take_code(query.get("js_code", ""), self.mp_appid)
            if error:
                return 200, error
            answer = {"openid": found.person.openid, "session_key": secrets.token_urlsafe(16)}
            if found.person.unionid:
                answer["unionid"] = found.person.unionid
            return 200, answer
        if path == "/cgi-bin/stable_token" and method == "POST":
            known = {self.appid: self.secret, self.mp_appid: self.mp_secret}
            if body.get("appid") not in known or body.get("secret") != known[body.get("appid")]:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            if self.fetch_delay:
                time.sleep(self.fetch_delay)
            token = "at_" + secrets.token_hex(16)
            with self.lock:
                self.token_fetches += 1
                self.platform_tokens[token] = time.time() + self.token_seconds
                self.token_apps[token] = body["appid"]
            return 200, {"access_token": token, "expires_in": self.token_seconds}
        if path == "/cgi-bin/ticket/getticket":
            error = self._platform_ok(query.get("access_token", ""))
            if error:
                return 200, error
            with self.lock:
                self.ticket_fetches += 1
            return 200, {"errcode": 0, "errmsg": "ok", "ticket": "tk_" + secrets.token_hex(16), "expires_in": 7200}
        if path == "/wxa/getwxacodeunlimit" and method == "POST":
            token = query.get("access_token", "")
            error = self._platform_ok(token)
            if error:
                return 200, error
            if self.token_apps.get(token) != self.mp_appid:
                return 200, {"errcode": 40001, "errmsg": "access_token is not the mini-program's"}
            scene, page = str(body.get("scene", "")), str(body.get("page", ""))
            if not scene or len(scene) > 32:
                return 200, {"errcode": 40169, "errmsg": "invalid length for scene"}
            if not page or page.startswith("/"):
                return 200, {"errcode": 41030, "errmsg": "invalid page"}
            if self.wxacode_refusal is not None:
                return 200, dict(self.wxacode_refusal)
            with self.lock:
                self.wxacodes.append(dict(body))
            return 200, wxacode_png(scene, int(body.get("width") or 430))
        return 404, {"errcode": 404, "errmsg": "not found"}

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {}
                with fake.lock:
                    fake.calls.append((parts.path, {**query, **body}))
                    broken = fake.broken_next > 0
                    if broken:
                        fake.broken_next -= 1
                if broken:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, answer = fake.handle(method, parts.path, query, body)
                image = isinstance(answer, bytes)
                data = answer if image else json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "image/jpeg" if image else "application/json; encoding=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
