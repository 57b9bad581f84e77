"""Batch shipping from a file of order number → carrier + tracking number.

Three steps: `parse_rows` reads the file (wrong columns refuse the whole file, naming the missing
one); `check_rows` checks every row against the orders before anything is applied (per row and field:
unknown order, order not shippable, order repeated in the file, empty or too long carrier / tracking
number, already shipped with another number); `apply_rows` ships the rows that are ready through
`orders.services.ship_order` (the only way an order ships), the operator being its actor.

Applying is idempotent: an order already shipped with the same carrier and tracking number counts as
done and is left alone, so applying the same file twice ships nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext

from fenxiao.common.errors import DomainError
from fenxiao.orders import selectors as order_selectors
from fenxiao.orders import services as order_services
from fenxiao.orders.models import Order

from .files import invalid_file, read_table

# The file's header, exactly (it is a file format, the same whatever the console's language).
COL_NUMBER, COL_COMPANY, COL_TRACKING = "订单号", "快递公司", "快递单号"
COLUMNS = (COL_NUMBER, COL_COMPANY, COL_TRACKING)
MAX_COMPANY, MAX_TRACKING = 32, 40

READY, DONE, ERROR = "ready", "done", "error"
SHIPPED_STATES = {Order.Status.SHIPPED, Order.Status.RECEIVED, Order.Status.COMPLETED}

Progress = Callable[[int, int], None]


@dataclass
class ShipRow:
    row: int  # the row number in the file, the header being row 1
    number: str
    company: str
    tracking: str
    state: str = READY
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    order_id: int | None = None

    def refuse(self, column: str, message: str) -> None:
        self.state = ERROR
        self.errors.append((column, message))

    def as_data(self) -> dict:
        return {"row": self.row, "number": self.number, "company": self.company, "tracking": self.tracking}


@dataclass
class Preview:
    rows: list[ShipRow]

    def count(self, state: str) -> int:
        return sum(1 for row in self.rows if row.state == state)

    @property
    def ready(self) -> int:
        return self.count(READY)

    @property
    def done(self) -> int:
        return self.count(DONE)

    @property
    def errors(self) -> int:
        return self.count(ERROR)


def _header(values: list[str]) -> list[str]:
    return [value.replace("\ufeff", "").strip() for value in values]


def parse_rows(filename: str, content: bytes) -> list[ShipRow]:
    """The rows of an uploaded file; refuses a file without the three columns, naming what is missing."""
    table = read_table(filename, content)
    header = _header(table[0]) if table else []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise invalid_file(
            gettext("第 1 行须为表头，缺少列：%(missing)s（表头须为：%(columns)s）")
            % {"missing": "、".join(missing), "columns": "、".join(COLUMNS)}
        )
    index = {name: header.index(name) for name in COLUMNS}

    def cell(values: list[str], name: str) -> str:
        at = index[name]
        return values[at].strip() if at < len(values) else ""

    rows = []
    for line, values in enumerate(table[1:], start=2):
        if not any(value.strip() for value in values):
            continue
        rows.append(ShipRow(line, cell(values, COL_NUMBER), cell(values, COL_COMPANY), cell(values, COL_TRACKING)))
    if not rows:
        raise invalid_file(gettext("文件里没有要发货的行"))
    return rows


def rows_from_data(data: Iterable[dict]) -> list[ShipRow]:
    return [ShipRow(int(d["row"]), str(d["number"]), str(d["company"]), str(d["tracking"])) for d in data]


def _check_fields(row: ShipRow) -> None:
    if not row.number:
        row.refuse(COL_NUMBER, gettext("订单号为空"))
    if not row.company:
        row.refuse(COL_COMPANY, gettext("快递公司为空"))
    elif len(row.company) > MAX_COMPANY:
        row.refuse(COL_COMPANY, gettext("快递公司不能超过 %(max)s 个字") % {"max": MAX_COMPANY})
    if not row.tracking:
        row.refuse(COL_TRACKING, gettext("快递单号为空"))
    elif len(row.tracking) > MAX_TRACKING:
        row.refuse(COL_TRACKING, gettext("快递单号不能超过 %(max)s 个字符") % {"max": MAX_TRACKING})


def _check_duplicates(rows: list[ShipRow]) -> None:
    """An order on more than one row is refused on each of them: which row is right is not for the
    console to guess."""
    seen: dict[str, list[ShipRow]] = defaultdict(list)
    for row in rows:
        if row.number:
            seen[row.number].append(row)
    for same in seen.values():
        if len(same) > 1:
            lines = "、".join(str(row.row) for row in same)
            for row in same:
                row.refuse(COL_NUMBER, gettext("订单号在文件中重复（第 %(rows)s 行）") % {"rows": lines})


def _check_order(row: ShipRow, order: Order | None) -> None:
    if order is None:
        row.refuse(COL_NUMBER, gettext("订单 %(number)s 不存在") % {"number": row.number})
        return
    row.order_id = order.pk
    if order.status in SHIPPED_STATES:
        if order.tracking_company == row.company and order.tracking_number == row.tracking:
            if row.state != ERROR:
                row.state = DONE
        else:
            row.refuse(
                COL_TRACKING,
                gettext("订单已用 %(company)s %(tracking)s 发货，与文件不同")
                % {"company": order.tracking_company, "tracking": order.tracking_number},
            )
    elif order.status != Order.Status.PAID:
        row.refuse(COL_NUMBER, gettext("订单状态为“%(status)s”，不能发货") % {"status": order.get_status_display()})
    elif getattr(order, "has_open_aftersale", False):
        row.refuse(COL_NUMBER, gettext("订单有进行中的售后，暂不能发货"))


def check_rows(rows: list[ShipRow]) -> Preview:
    """Check every row (nothing is written); each row ends READY, DONE (shipped already with the same
    carrier and number) or ERROR with its messages per column."""
    for row in rows:
        row.state, row.errors, row.order_id = READY, [], None
        _check_fields(row)
    _check_duplicates(rows)
    orders = order_selectors.orders_by_numbers(row.number for row in rows if row.number)
    for row in rows:
        if row.number:
            _check_order(row, orders.get(row.number))
    return Preview(rows)


def apply_rows(rows: list[ShipRow], *, actor, valid_only: bool = False, progress: Progress | None = None) -> dict:
    """Ship the READY rows (checked again now) through the order service, as `actor`. With an error in
    the file nothing is shipped unless `valid_only` says to ship the valid rows. Returns the summary."""
    preview = check_rows(rows)
    if preview.errors and not valid_only:
        raise invalid_file(
            gettext("文件有 %(n)s 行错误，未发货任何订单；请改正后重新导入，或选择只发货无误的行") % {"n": preview.errors}
        )
    todo = [row for row in preview.rows if row.state == READY and row.order_id is not None]
    shipped, failed = [], []
    for done, row in enumerate(todo, start=1):
        try:
            order_services.ship_order(
                order_id=int(row.order_id or 0), actor=actor, tracking_company=row.company, tracking_number=row.tracking
            )
        except DomainError as exc:
            failed.append({"row": row.row, "number": row.number, "message": exc.message})
        else:
            shipped.append(row.number)
        if progress is not None:
            progress(done, len(todo))
    return {
        "rows": len(preview.rows),
        "shipped": len(shipped),
        "already_done": preview.done,
        "skipped": [
            {"row": row.row, "number": row.number, "errors": [f"{column}：{message}" for column, message in row.errors]}
            for row in preview.rows
            if row.state == ERROR
        ],
        "failed": failed,
        "shipped_numbers": shipped,
    }
