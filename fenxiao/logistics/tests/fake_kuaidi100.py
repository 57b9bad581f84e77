"""A local stand-in for Kuaidi100's real-time query (`POST /poll/query.do`), checking each request as
the service does: a form with `customer`, `param` and `sign`, the signature recomputed here (upper-case
MD5 of param + key + customer, independently of the code under test), the customer id known. It answers
in the service's own format from the parcels it was given, records what it was asked, and can be told
to refuse, to answer garbage or to hold its answer (for timeouts)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class FakeKuaidi100:
    customer: str
    key: str
    # (com, num) -> (overall state, [rows newest first]); a row: time, context, statusCode, areaName
    parcels: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    refuse_with: tuple[str, str] | None = None  # (returnCode, message) for every query
    http_status: int = 200
    raw_answer: bytes | None = None
    hold: threading.Event | None = None  # set: answer; unset: wait (the client times out first)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/poll/query.do"

    def add(self, com: str, num: str, rows: list[dict[str, Any]], state: str = "0") -> None:
        self.parcels[com, num] = (state, rows)

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("accepted")]

    def handle(self, path: str, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        record: dict[str, Any] = {"path": path, "content_type": content_type, "raw": raw}
        self.requests.append(record)
        if path != "/poll/query.do":
            return 404, {"result": False, "returnCode": "404", "message": "not found"}
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 200, {"result": False, "returnCode": "400", "message": "提交的数据不完整"}
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        record["form"] = form
        param, customer, signature = form.get("param", ""), form.get("customer", ""), form.get("sign", "")
        if not param or not customer or not signature:
            return 200, {"result": False, "returnCode": "400", "message": "提交的数据不完整"}
        if customer != self.customer:
            return 200, {"result": False, "returnCode": "601", "message": "POLL:KEY已过期或不存在"}
        wanted = hashlib.md5((param + self.key + self.customer).encode("utf-8")).hexdigest().upper()
        if signature != wanted:
            return 200, {"result": False, "returnCode": "503", "message": "验证签名失败"}
        query = json.loads(param)
        record["param"] = query
        if self.refuse_with:
            code, message = self.refuse_with
            return 200, {"result": False, "returnCode": code, "message": message}
        found = self.parcels.get((query.get("com"), query.get("num")))
        if found is None:
            return 200, {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
        if query.get("com") == "shunfeng" and len(query.get("phone", "")) != 4:
            return 200, {"result": False, "returnCode": "408", "message": "您提交的手机号码后四位验证未通过"}
        record["accepted"] = True
        state, rows = found
        data = [
            {
                "time": row["time"],
                "ftime": row["time"],
                "context": row["context"],
                "status": row.get("status", ""),
                "statusCode": row.get("statusCode", state),
                "areaName": row.get("areaName", ""),
                "areaCode": "",
            }
            for row in rows
        ]
        return 200, {
            "message": "ok",
            "nu": query["num"],
            "ischeck": "1" if state == "3" else "0",
            "com": query["com"],
            "status": "200",
            "condition": "F00",
            "state": state,
            "data": data,
        }

    def start(self) -> FakeKuaidi100:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.hold is not None:
                    fake.hold.wait(10)
                status, answer = fake.handle(self.path, self.headers.get("Content-Type", ""), raw)
                payload = fake.raw_answer if fake.raw_answer is not None else json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(fake.http_status if fake.http_status != 200 else status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
