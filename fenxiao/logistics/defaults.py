"""The carriers a new installation starts with: (code, name, number pattern). The codes are those
logistics-query providers use; the patterns are the carriers' published number shapes, loose enough
for every variant in use. The operator adds, edits and deactivates carriers in the console."""

from __future__ import annotations

CARRIERS = [
    ("shunfeng", "顺丰速运", r"(SF)?\d{12,15}"),
    ("zhongtong", "中通快递", r"(ZTO)?\d{12,15}"),
    ("yuantong", "圆通速递", r"(YT)?\d{10,15}"),
    ("shentong", "申通快递", r"(STO)?\d{12,15}"),
    ("yunda", "韵达快递", r"\d{13,15}"),
    ("jtexpress", "极兔速递", r"JT\d{13}"),
    ("jd", "京东物流", r"JD[A-Z0-9]{10,18}"),
    ("ems", "EMS", r"[A-Z]{2}\d{9}[A-Z]{2}|1\d{12}"),
    ("youzhengguonei", "邮政快递包裹", r"\d{13}|[A-Z]{2}\d{9}[A-Z]{2}"),
]
TRACKING_URL = "https://www.kuaidi100.com/chaxun?com={code}&nu={number}"


def ensure_carriers(carrier_model) -> int:
    """Add the default carriers that are missing (by code); an existing one, edited or deactivated by
    the operator, is left as it is. Returns how many were added."""
    added = 0
    for position, (code, name, pattern) in enumerate(CARRIERS):
        if carrier_model.objects.filter(code=code).exists() or carrier_model.objects.filter(name=name).exists():
            continue
        carrier_model.objects.create(
            code=code,
            name=name,
            number_pattern=pattern,
            tracking_url_template=TRACKING_URL.replace("{code}", code),
            sort_order=position,
        )
        added += 1
    return added


def ensure_carriers_handler(sender, **kwargs) -> None:
    """post_migrate: the default carriers exist after every migrate (and after a test flush)."""
    from .models import Carrier

    if sender.label == "logistics":
        ensure_carriers(Carrier)
