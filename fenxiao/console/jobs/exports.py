"""Excel exports of the console's lists. Each list's columns are declared once here; an export is the
exact list the operator saw: its changelist is rebuilt for the requesting user from the saved query
string through the ModelAdmin's own `get_changelist_instance` (same filters, search and ordering,
same permission checks), then streamed row by row into a write-only workbook.

Money is a number in yuan with a ¥ format, rates a number in percent, statuses and kinds their labels,
times local (Asia/Shanghai) without a zone, as Excel expects."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
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


def _path(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def text(header: StrOrPromise, dotted: str, width: int = 16) -> Column:
    return Column(header, lambda obj: _path(obj, dotted), "text", width)


def number(header: StrOrPromise, dotted: str) -> Column:
    return Column(header, lambda obj: _path(obj, dotted), "number", 10)


def money(header: StrOrPromise, dotted: str) -> Column:
    """An integer fen field, written as yuan (an exact Decimal, shown with ¥ and two decimals)."""

    def value(obj: Any) -> Decimal | None:
        fen = _path(obj, dotted)
        return None if fen is None else Decimal(int(fen)).scaleb(-2)

    return Column(header, value, "money", 14)


def rate(header: StrOrPromise, dotted: str) -> Column:
    """Basis points, written as percent (1250 → 12.50)."""

    def value(obj: Any) -> Decimal | None:
        bp = _path(obj, dotted)
        return None if bp is None else Decimal(int(bp)).scaleb(-2)

    return Column(header, value, "percent", 10)


@lru_cache(maxsize=1024)
def _choice_label(model: Any, name: str, value: Any, language: str | None) -> str:
    field: Any = model._meta.get_field(name)
    choices = {key: str(text) for key, text in field.flatchoices}
    return choices.get(value, "" if value is None else str(value))


def label(header: StrOrPromise, name: str, width: int = 12) -> Column:
    """A choices field by its label (in the requester's language), looked up once per value."""
    return Column(header, lambda obj: _choice_label(obj.__class__, name, getattr(obj, name), get_language()), "text", width)


def when(header: StrOrPromise, dotted: str) -> Column:
    return Column(header, lambda obj: _path(obj, dotted), "time", 20)


def yes_no(header: StrOrPromise, dotted: str) -> Column:
    return Column(header, lambda obj: _("是") if _path(obj, dotted) else _("否"), "text", 8)


def _order_goods(order: Any) -> str:
    return "；".join(
        f"{line.product_name}{' ' + line.sku_spec if line.sku_spec else ''} ×{line.quantity}" for line in order.lines.all()
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
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
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
            select_related=("user", "distributor"),
            prefetch_related=("lines",),
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
    queryset = changelist.queryset
    if spec.select_related:
        queryset = queryset.select_related(*spec.select_related)
    if spec.prefetch_related:
        queryset = queryset.prefetch_related(*spec.prefetch_related)
    return queryset


# --- The workbook --------------------------------------------------------------------------------


def _local(value: Any) -> Any:
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, microsecond=0)


def write_workbook(spec: ListExport, rows: Iterator[Any], target: Path, progress: Progress | None = None) -> int:
    """Stream `rows` into a one-sheet write-only workbook at `target`; returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(spec.title)[:31])
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in spec.columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    formats = {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "time": TIME_FORMAT}
    # One styled cell per formatted column, reused: write-only sheets copy the value and style out at append.
    styled = {i: WriteOnlyCell(sheet) for i, column in enumerate(spec.columns) if column.kind in formats}
    for i, cell in styled.items():
        cell.number_format = formats[spec.columns[i].kind]
    count = 0
    for obj in rows:
        values: list[Any] = []
        for i, column in enumerate(spec.columns):
            value = column.value(obj)
            if column.kind == "time":
                value = _local(value)
            elif value is not None and not isinstance(value, (int, Decimal)):
                value = str(value)
            if i in styled and value is not None:
                cell = styled[i]
                cell.value = value
                values.append(cell)
            else:
                values.append(value)
        sheet.append(values)
        count += 1
        if progress is not None:
            progress.advance()
    book.save(target)
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
