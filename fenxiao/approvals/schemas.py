from datetime import datetime
from typing import Any

from ninja import Schema

from fenxiao.common.validation import StrictIn


class ApprovalOut(Schema):
    id: int
    kind: str
    kind_label: str
    reference: str
    amount_fen: int
    summary: str
    status: str
    status_label: str
    proposed_by_id: int | None
    proposed_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    result: dict[str, Any]


class ApprovalFilter(Schema):
    status: str | None = None
    kind: str | None = None
    page: int = 1
    page_size: int = 50


class ApprovalNoteIn(StrictIn):
    note: str = ""


class ApprovalReasonIn(StrictIn):
    reason: str
