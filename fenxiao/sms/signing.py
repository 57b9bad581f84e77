"""Tencent Cloud API 3.0 request signing (TC3-HMAC-SHA256), as documented in "签名方法 v3".

    CanonicalRequest = METHOD \n URI \n QUERY \n CanonicalHeaders \n SignedHeaders \n hex(SHA256(payload))
    StringToSign     = "TC3-HMAC-SHA256" \n timestamp \n date/service/tc3_request \n hex(SHA256(CanonicalRequest))
    SecretSigning    = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
    Signature        = hex(HMAC(SecretSigning, StringToSign))

`date` is the UTC date of the timestamp. The headers signed are content-type and host (lower-case
names, values trimmed and lower-cased, sorted by name).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Signed:
    canonical_request: str
    string_to_sign: str
    signature: str
    authorization: str


def canonical_request(*, method: str, uri: str, query: str, headers: dict[str, str], payload: bytes) -> tuple[str, str]:
    """(canonical request, signed header names) for `headers` (name → value)."""
    pairs = sorted((name.lower().strip(), value.strip().lower()) for name, value in headers.items())
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in pairs)
    signed_headers = ";".join(name for name, _value in pairs)
    text = "\n".join([method.upper(), uri, query, canonical_headers, signed_headers, _sha256_hex(payload)])
    return text, signed_headers


def sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    payload: bytes,
    host: str,
    content_type: str = "application/json; charset=utf-8",
    method: str = "POST",
    uri: str = "/",
    query: str = "",
) -> Signed:
    """Sign one request; `authorization` is the value of its Authorization header."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    request_text, signed_headers = canonical_request(
        method=method, uri=uri, query=query, headers={"content-type": content_type, "host": host}, payload=payload
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join([ALGORITHM, str(timestamp), scope, _sha256_hex(request_text.encode())])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    return Signed(request_text, string_to_sign, signature, authorization)
