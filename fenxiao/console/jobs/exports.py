"""Excel exports of the console's lists. Each list's columns are declared once here; an export is the
exact list the operator saw: its changelist is rebuilt for the requesting user from the saved query
string through the ModelAdmin's own `get_changelist_instance` (same filters, search and ordering,
same permission checks), then streamed row by row into a write-only workbook.

Money is a number in yuan with a ¥ format, rates a number in percent, statuses and kinds their labels,
times local (Asia/Shanghai) without a zone, as Excel expects."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Prefetch
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from fenxiao.common.phone import mask_phone

from .errors import ConsoleJobCode, ConsoleJobError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from fenxiao.console.models import BackgroundJob

    from .registry import Progress

EXPORT_PERMISSION = "console.run_exports"
CHUNK_ROWS = 2000
MONEY_FORMAT = '"¥"#,##0.00'
PERCENT_FORMAT = '0.00"%"'
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: What the changelist's own query string may carry that is not part of "the list": paging, popups.
NOT_THE_LIST = ("p", "all", "e", "_popup", "_to_field", "_changelist_filters")


# --- Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: StrOrPromise
    value: Callable[[Any], Any]
    kind: str = "text"  # text | number | money | percent | time
    width: int = 16
    #: For a value in the requester's language: builds the reader one export uses, so what is
    #: translated is translated once per export rather than once per row.
    per_export: Callable[[], Callable[[Any], Any]] | None = None

    def reader(self) -> Callable[[Any], Any]:
        return self.per_export() if self.per_export is not None else self.value


def _path(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def _getter(dotted: str) -> Callable[[Any], Any]:
    """Reads `dotted` off a row; a related object that is None gives None."""
    if "." not in dotted:
        return attrgetter(dotted)
    return lambda obj: _path(obj, dotted)


def text(header: StrOrPromise, dotted: str, width: int = 16) -> Column:
    return Column(header, _getter(dotted), "text", width)


def number(header: StrOrPromise, dotted: str) -> Column:
    return Column(header, _getter(dotted), "number", 10)


def _hundredths(dotted: str) -> Callable[[Any], Decimal | None]:
    get = _getter(dotted)

    def value(obj: Any) -> Decimal | None:
        whole = get(obj)
        return None if whole is None else Decimal(int(whole)).scaleb(-2)

    return value


def money(header: StrOrPromise, dotted: str) -> Column:
    """An integer fen field, written as yuan (an exact Decimal, shown with ¥ and two decimals)."""
    return Column(header, _hundredths(dotted), "money", 14)


def rate(header: StrOrPromise, dotted: str) -> Column:
    """Basis points, written as percent (1250 → 12.50)."""
    return Column(header, _hundredths(dotted), "percent", 10)


@lru_cache(maxsize=1024)
def _choice_label(model: Any, name: str, value: Any, language: str | None) -> str:
    field: Any = model._meta.get_field(name)
    choices = {key: str(text) for key, text in field.flatchoices}
    return choices.get(value, "" if value is None else str(value))


def label(header: StrOrPromise, name: str, width: int = 12) -> Column:
    """A choices field by its label (in the requester's language), looked up once per value."""

    def per_export() -> Callable[[Any], str]:
        language = get_language()
        return lambda obj: _choice_label(obj.__class__, name, getattr(obj, name), language)

    return Column(header, lambda obj: per_export()(obj), "text", width, per_export)


def when(header: StrOrPromise, dotted: str) -> Column:
    return Column(header, _getter(dotted), "time", 20)


def yes_no(header: StrOrPromise, dotted: str) -> Column:
    get = _getter(dotted)

    def per_export() -> Callable[[Any], str]:
        yes, no = _("是"), _("否")
        return lambda obj: yes if get(obj) else no

    return Column(header, lambda obj: per_export()(obj), "text", 8, per_export)


def _order_goods(order: Any) -> str:
    # The lines prefetched into a list (`goods_lines`, see the orders export below).
    return "；".join(
        f"{line.product_name}{' ' + line.sku_spec if line.sku_spec else ''} ×{line.quantity}" for line in order.goods_lines
    )


def _distributor_code(obj: Any) -> str:
    distributor = getattr(obj, "distributor", None)
    return distributor.code if distributor is not None else ""


# --- Lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListExport:
    key: str
    model: str  # "app_label.ModelName"
    title: StrOrPromise
    filename: str
    columns: tuple[Column, ...]
    #: The related rows the columns read, joined or fetched once per chunk of rows (never one query per row).
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str | Prefetch, ...] = ()
    #: Fields no column reads and that cost to load (large JSON).
    defer: tuple[str, ...] = ()
    extra_permissions: tuple[str, ...] = field(default=())

    @property
    def kind(self) -> str:
        return f"export.{self.key}"

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


LISTS: dict[str, ListExport] = {
    spec.key: spec
    for spec in (
        ListExport(
            key="orders",
            model="orders.Order",
            title=gettext_lazy("导出订单"),
            filename="orders",
            select_related=("distributor",),
            # Into a list: a prefetch into the manager would build one queryset per order.
            prefetch_related=(Prefetch("lines", to_attr="goods_lines"),),
            defer=("price_breakdown",),
            columns=(
                text(gettext_lazy("订单号"), "number", 22),
                label(gettext_lazy("状态"), "status"),
                Column(gettext_lazy("商品"), _order_goods, "text", 40),
                money(gettext_lazy("商品金额"), "goods_fen"),
                money(gettext_lazy("优惠"), "discount_fen"),
                money(gettext_lazy("运费"), "shipping_fen"),
                money(gettext_lazy("应付"), "total_fen"),
                money(gettext_lazy("实付"), "paid_fen"),
                money(gettext_lazy("已退款"), "refunded_fen"),
                label(gettext_lazy("支付方式"), "payment_provider"),
                Column(gettext_lazy("分销商"), _distributor_code, "text", 12),
                yes_no(gettext_lazy("自购"), "is_self_purchase"),
                text(gettext_lazy("收货人"), "receiver", 10),
                text(gettext_lazy("收货手机"), "receiver_phone", 14),
                text(gettext_lazy("省"), "province", 10),
                text(gettext_lazy("市"), "city", 10),
                text(gettext_lazy("区县"), "district", 10),
                text(gettext_lazy("详细地址"), "address_detail", 30),
                text(gettext_lazy("买家留言"), "note", 20),
                text(gettext_lazy("快递公司"), "tracking_company", 12),
                text(gettext_lazy("快递单号"), "tracking_number", 20),
                when(gettext_lazy("下单时间"), "created_at"),
                when(gettext_lazy("支付时间"), "paid_at"),
                when(gettext_lazy("发货时间"), "shipped_at"),
                when(gettext_lazy("收货时间"), "received_at"),
            ),
        ),
        ListExport(
            key="distributors",
            model="distribution.Distributor",
            title=gettext_lazy("导出分销商"),
            filename="distributors",
            select_related=("user", "level", "inviter"),
            columns=(
                text(gettext_lazy("邀请码"), "code", 10),
                text(gettext_lazy("昵称"), "user.nickname"),
                Column(gettext_lazy("手机号"), lambda d: mask_phone(d.user.phone), "text", 14),
                text(gettext_lazy("真实姓名"), "real_name", 10),
                text(gettext_lazy("等级"), "level.name", 10),
                label(gettext_lazy("状态"), "status"),
                text(gettext_lazy("邀请人"), "inviter.code", 10),
                number(gettext_lazy("层深"), "depth"),
                when(gettext_lazy("申请时间"), "applied_at"),
                when(gettext_lazy("通过时间"), "approved_at"),
            ),
        ),
        ListExport(
            key="customers",
            model="accounts.User",
            title=gettext_lazy("导出用户"),
            filename="customers",
            columns=(
                number(gettext_lazy("编号"), "pk"),
                text(gettext_lazy("用户名"), "username"),
                Column(gettext_lazy("手机号"), lambda u: mask_phone(u.phone), "text", 14),
                text(gettext_lazy("昵称"), "nickname"),
                yes_no(gettext_lazy("员工"), "is_staff"),
                yes_no(gettext_lazy("有效"), "is_active"),
                when(gettext_lazy("注册时间"), "date_joined"),
                when(gettext_lazy("最近登录"), "last_login"),
            ),
        ),
        ListExport(
            key="commissions",
            model="commissions.Commission",
            title=gettext_lazy("导出佣金"),
            filename="commissions",
            select_related=("order", "distributor"),
            columns=(
                number(gettext_lazy("编号"), "pk"),
                text(gettext_lazy("订单号"), "order.number", 22),
                text(gettext_lazy("分销商"), "distributor.code", 10),
                number(gettext_lazy("层级"), "depth"),
                label(gettext_lazy("状态"), "status"),
                label(gettext_lazy("计算方式"), "mode"),
                text(gettext_lazy("来源"), "source", 12),
                money(gettext_lazy("计佣基数"), "base_fen"),
                rate(gettext_lazy("比例（%）"), "rate_bp"),
                money(gettext_lazy("佣金"), "amount_fen"),
                money(gettext_lazy("已取消"), "cancelled_fen"),
                money(gettext_lazy("已追回"), "clawed_back_fen"),
                yes_no(gettext_lazy("封顶"), "capped"),
                when(gettext_lazy("产生时间"), "created_at"),
                when(gettext_lazy("可结算时间"), "eligible_at"),
                when(gettext_lazy("结算时间"), "settled_at"),
            ),
        ),
        ListExport(
            key="withdrawals",
            model="withdrawals.Withdrawal",
            title=gettext_lazy("导出提现"),
            filename="withdrawals",
            select_related=("distributor",),
            columns=(
                text(gettext_lazy("提现单号"), "number", 22),
                text(gettext_lazy("分销商"), "distributor.code", 10),
                label(gettext_lazy("状态"), "status"),
                label(gettext_lazy("渠道"), "channel"),
                money(gettext_lazy("提现金额"), "amount_fen"),
                rate(gettext_lazy("手续费率（%）"), "fee_bp"),
                money(gettext_lazy("手续费"), "fee_fen"),
                money(gettext_lazy("实发金额"), "net_fen"),
                text(gettext_lazy("收款人"), "payee_name", 10),
                text(gettext_lazy("开户行"), "bank_name"),
                text(gettext_lazy("收款账号"), "account_masked", 20),
                text(gettext_lazy("驳回原因"), "reject_reason", 20),
                text(gettext_lazy("失败原因"), "failure_reason", 20),
                when(gettext_lazy("申请时间"), "requested_at"),
                when(gettext_lazy("审核时间"), "approved_at"),
                when(gettext_lazy("打款时间"), "paid_at"),
            ),
        ),
        ListExport(
            key="aftersales",
            model="orders.AfterSale",
            title=gettext_lazy("导出售后"),
            filename="aftersales",
            select_related=("order", "line"),
            columns=(
                number(gettext_lazy("编号"), "pk"),
                text(gettext_lazy("订单号"), "order.number", 22),
                text(gettext_lazy("商品"), "line.product_name", 24),
                label(gettext_lazy("类型"), "kind"),
                label(gettext_lazy("状态"), "status"),
                money(gettext_lazy("金额"), "amount_fen"),
                number(gettext_lazy("数量"), "quantity"),
                text(gettext_lazy("原因"), "reason", 24),
                text(gettext_lazy("驳回原因"), "reject_reason", 20),
                text(gettext_lazy("退货单号"), "return_tracking_number", 20),
                when(gettext_lazy("申请时间"), "created_at"),
                when(gettext_lazy("更新时间"), "updated_at"),
            ),
        ),
    )
}


def for_model(model: type[models.Model]) -> ListExport | None:
    label_ = model._meta.label_lower
    return next((spec for spec in LISTS.values() if spec.model.lower() == label_), None)


def get(key: str) -> ListExport:
    try:
        return LISTS[key]
    except KeyError:
        raise ConsoleJobError(ConsoleJobCode.UNKNOWN_KIND, _("没有这个列表的导出"), {"list": key}, status=404) from None


# --- Who may, and which rows ---------------------------------------------------------------------


def list_query(query: str | QueryDict) -> str:
    """The changelist's query string without paging and popup flags: what defines the list."""
    params = QueryDict(query.lstrip("?"), mutable=True) if isinstance(query, str) else query.copy()
    for name in NOT_THE_LIST:
        params.pop(name, None)
    return params.urlencode()


def _changelist_request(spec: ListExport, user: Any, query: str) -> Any:
    opts = spec.model_class()._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    request = RequestFactory().get(f"{url}?{list_query(query)}" if query else url)
    request.user = user
    return request


def may_export(spec: ListExport, user: Any) -> bool:
    """Staff with the export permission and the list's own view permission."""
    if not (user and user.is_active and user.is_staff and user.has_perm(EXPORT_PERMISSION)):
        return False
    if any(not user.has_perm(perm) for perm in spec.extra_permissions):
        return False
    model_admin = admin.site._registry.get(spec.model_class())
    if model_admin is None:
        return False
    return bool(model_admin.has_view_or_change_permission(_changelist_request(spec, user, "")))


def rows_for(spec: ListExport, user: Any, query: str) -> models.QuerySet:
    """The list `user` sees at the changelist with `query`: its queryset, filtered, searched and ordered
    by the ModelAdmin itself."""
    if not may_export(spec, user):
        raise ConsoleJobError(ConsoleJobCode.FORBIDDEN, _("没有导出该列表的权限"), {"list": spec.key}, status=403)
    model_admin = admin.site._registry[spec.model_class()]
    request = _changelist_request(spec, user, query)
    try:
        changelist = model_admin.get_changelist_instance(request)
    except (IncorrectLookupParameters, PermissionDenied) as exc:
        raise ConsoleJobError(
            ConsoleJobCode.INVALID_PARAMS, _("列表的筛选条件无效，请回到列表重新筛选后再导出"), {"list": spec.key}
        ) from exc
    # The changelist joins what its own columns show; the export joins what its columns read instead
    # (joins along foreign keys add no rows and drop none).
    queryset = changelist.queryset.select_related(None)
    if spec.select_related:
        queryset = queryset.select_related(*spec.select_related)
    if spec.prefetch_related:
        queryset = queryset.prefetch_related(*spec.prefetch_related)
    if spec.defer:
        queryset = queryset.defer(*spec.defer)
    return queryset


# --- The workbook --------------------------------------------------------------------------------


def _cell_writer(sheet: Any, column: Column, formats: dict[str, Any]) -> Callable[[int, int, Any], Any]:
    """How one column's values go into cells: money and rates as numbers with their format, times
    local without a zone, other numbers as numbers and anything else as text."""
    if column.kind == "time":
        local_zone = timezone.get_current_timezone()
        time_format = formats["time"]

        def write_time(row: int, col: int, value: Any) -> Any:
            if timezone.is_aware(value):
                value = value.astimezone(local_zone)
            return sheet.write_datetime(row, col, value.replace(tzinfo=None, microsecond=0), time_format)

        return write_time
    number_format = formats.get(column.kind)
    write_string, write_number, write_boolean = sheet.write_string, sheet.write_number, sheet.write_boolean

    def write(row: int, col: int, value: Any) -> Any:
        if isinstance(value, bool):
            return write_boolean(row, col, value, number_format)
        if isinstance(value, (int, Decimal)):
            return write_number(row, col, value, number_format)
        value = str(value)
        # Text is always text, even when it starts with "=" (a buyer's note is never a formula);
        # an empty text leaves the cell empty.
        return write_string(row, col, value, number_format) if value else None

    return write


def write_workbook(spec: ListExport, rows: Iterable[Any], target: Path, progress: Progress | None = None) -> int:
    """Stream `rows` into a one-sheet workbook at `target`; returns the number of rows. Each row goes to
    disk as soon as the next one starts (XlsxWriter's constant memory mode), so memory does not grow
    with the list."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "tmpdir": str(target.parent)})
    sheet = book.add_worksheet(str(spec.title)[:31])
    formats = {
        "money": book.add_format({"num_format": MONEY_FORMAT}),
        "percent": book.add_format({"num_format": PERCENT_FORMAT}),
        "time": book.add_format({"num_format": TIME_FORMAT}),
    }
    bold = book.add_format({"bold": True})
    for col, column in enumerate(spec.columns):
        # A width in characters of the default font, stored as given (7 pixels a character).
        sheet.set_column_pixels(col, col, column.width * 7)
        sheet.write_string(0, col, str(column.header), bold)
    sheet.freeze_panes(1, 0)

    cells = [(col, column.reader(), _cell_writer(sheet, column, formats)) for col, column in enumerate(spec.columns)]
    count = 0
    for count, obj in enumerate(rows, start=1):
        for col, read, write in cells:
            value = read(obj)
            if value is not None:
                write(count, col, value)
        if progress is not None:
            progress.advance()
    book.close()
    return count


def run_export(spec: ListExport, job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    queryset = rows_for(spec, job.requested_by, job.params.get("query", ""))
    progress.set_total(queryset.count())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(prefix="fenxiao-export-") as folder:
        target = Path(folder) / f"{spec.filename}-{stamp}.xlsx"
        count = write_workbook(spec, queryset.iterator(chunk_size=CHUNK_ROWS), target, progress)
        progress.save_file(target.name, target)
    return {str(_("行数")): count}
