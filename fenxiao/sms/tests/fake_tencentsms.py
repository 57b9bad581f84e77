"""A local stand-in for Tencent Cloud SMS (API 3.0, `SendSms`), checking each request as the real
service does: the X-TC-* headers, the TC3-HMAC-SHA256 Authorization recomputed here from the secret
key (independently of the code under test) and a timestamp within five minutes. It answers in the
service's own format, records what it was asked and can be told to refuse.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$"
)


def expected_signature(*, secret_key: str, date: str, service: str, timestamp: str, canonical_request: str) -> str:
    def step(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"
    signing_key = step(step(step(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class FakeTencentSms:
    secret_id: str
    secret_key: str
    app_id: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    refuse_with: str = ""  # an error code for the whole call (e.g. "InternalError")
    status_code: str = "Ok"  # the per-number result
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def sent_codes(self) -> list[str]:
        return [r["body"]["TemplateParamSet"][0] for r in self.requests if r.get("accepted")]

    def _check(self, headers, raw: bytes) -> str:
        """ "" when the request is properly signed, else the error code the service would give."""
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            return "InvalidAction"
        match = AUTH_RE.match(headers.get("Authorization", ""))
        if not match:
            return "AuthFailure.InvalidAuthorization"
        secret_id, date, service, signed_headers, signature = match.groups()
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        timestamp = headers.get("X-TC-Timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return "AuthFailure.SignatureExpire"
        if datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d") != date or service != "sms":
            return "AuthFailure.InvalidAuthorization"
        names = signed_headers.split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in names)
        canonical_request = "\n".join(["POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(raw).hexdigest()])
        wanted = expected_signature(
            secret_key=self.secret_key, date=date, service=service, timestamp=timestamp, canonical_request=canonical_request
        )
        if "content-type" not in names or "host" not in names or not hmac.compare_digest(wanted, signature):
            return "AuthFailure.SignatureFailure"
        return ""

    def handle(self, headers, raw: bytes) -> dict[str, Any]:
        request_id = secrets.token_hex(16)
        record: dict[str, Any] = {"headers": dict(headers.items()), "raw": raw}
        self.requests.append(record)
        failure = self._check(headers, raw)
        if not failure:
            record["body"] = body = json.loads(raw)
            if body.get("SmsSdkAppId") != self.app_id:
                failure = "FailedOperation.SmsSdkAppIdVerifyFail"
        failure = failure or self.refuse_with
        if failure:
            return {"Response": {"Error": {"Code": failure, "Message": failure}, "RequestId": request_id}}
        record["accepted"] = self.status_code == "Ok"
        statuses = [
            {
                "SerialNo": f"2645:{secrets.token_hex(8)}",
                "PhoneNumber": number,
                "Fee": 1,
                "SessionContext": body.get("SessionContext", ""),
                "Code": self.status_code,
                "Message": "send success" if self.status_code == "Ok" else self.status_code,
                "IsoCode": "CN",
            }
            for number in body["PhoneNumberSet"]
        ]
        return {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}

    def start(self) -> FakeTencentSms:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.dumps(fake.handle(self.headers, raw)).encode()
                self.send_response(200)  # the service answers 200 with an Error object on failure
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
