"""Console building blocks shared by every app's admin.

`ConsoleAdmin` and the console inlines show money in yuan and rates in percent: a model field named
`*_fen` is edited through `YuanField` and `*_bp` through `PercentField`, and where such a field is only
shown (list columns, read-only fields, view-only pages) it reads "¥1,234.50" or "12.5%", its column
still sorting by the field and titled by the field's name without a unit word. A timeline row's
`from_status`/`to_status` codes are shown with the labels of its record's statuses. `ReadOnlyAdmin` and
`ReadOnlyInline` build on them for records that only services write (audit trails, ledger entries,
events): shown, never added, changed or deleted by hand."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Model
from django.forms.models import _get_foreign_key
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext

from .errors import DomainError
from .forms import PercentField, YuanField
from .models import TransitionEvent
from .money import format_rate, yuan

MONEY_SUFFIX = "_fen"
RATE_SUFFIX = "_bp"
_SHOWN_SUFFIX = {MONEY_SUFFIX: "_yuan", RATE_SUFFIX: "_percent"}
# "（分）", "(基点)", "（分/件）"…: the stored unit, which the console does not show.
_UNIT_WORDS = re.compile(r"\s*[（(]\s*(?:分|基点|元)\s*(?:/\s*件)?\s*[)）]")


def unit_free_label(label: Any) -> str:
    """A field's verbose name without the stored unit: '佣金（分）' → '佣金'."""
    return capfirst(_UNIT_WORDS.sub("", str(label)).strip())


def _kind(field: Any) -> str | None:
    """MONEY_SUFFIX or RATE_SUFFIX for an integer model field holding fen or basis points."""
    if not isinstance(field, models.IntegerField) or field.choices:
        return None
    for suffix in (MONEY_SUFFIX, RATE_SUFFIX):
        if field.name.endswith(suffix):
            return suffix
    return None


def show_money(value: int | None) -> str | None:
    return None if value is None else f"¥{yuan(value)}"


def show_rate(value: int | None) -> str | None:
    if value is None:
        return None
    return ("-" if value < 0 else "") + format_rate(abs(value))


def _event_status_labels(model: Any) -> dict[str, str] | None:
    """For a timeline row (`from_status`/`to_status` codes of the record it belongs to), the labels of
    that record's statuses."""
    if not issubclass(model, TransitionEvent):
        return None
    return model.status_labels() or None


def _status_column(field: Any, labels: dict[str, str]) -> Callable[[Any], str | None]:
    def column(obj: Any) -> str | None:
        code = getattr(obj, field.attname)
        return labels.get(code, code) if code else None

    column.short_description = capfirst(str(field.verbose_name))  # type: ignore[attr-defined]
    column.admin_order_field = field.name  # type: ignore[attr-defined]
    column.__name__ = field.name + "_label"
    return column


def _shown_column(field: Any, kind: str) -> Callable[[Any], str | None]:
    show = show_money if kind == MONEY_SUFFIX else show_rate

    def column(obj: Any) -> str | None:
        return show(getattr(obj, field.attname))

    column.short_description = unit_free_label(field.verbose_name)  # type: ignore[attr-defined]
    column.admin_order_field = field.name  # type: ignore[attr-defined]
    column.__name__ = field.name + _SHOWN_SUFFIX[kind]
    return column


def _substituting(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a subclass's own get_readonly_fields / get_list_display so its names are substituted too."""

    @wraps(method)
    def wrapper(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._shown_names(method(self, request, *args, **kwargs))

    wrapper._substituting = True  # type: ignore[attr-defined]
    return wrapper


class _ConsoleUnits:
    """The yuan/percent behaviour shared by ConsoleAdmin and the console inlines."""

    model: type[Model]
    _WRAPPED = ("get_readonly_fields", "get_list_display")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._WRAPPED:
            own = cls.__dict__.get(name)
            if own is not None and not getattr(own, "_substituting", False):
                setattr(cls, name, _substituting(own))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: dict[str, str] = {}  # display name → model field name
        self._shown_of: dict[str, str] = {}  # model field name → display name
        labels = _event_status_labels(self.model)
        for field in self.model._meta.concrete_fields:
            kind = _kind(field)
            if kind is not None:
                column = _shown_column(field, kind)
            elif labels is not None and field.name in ("from_status", "to_status"):
                column = _status_column(field, labels)
            else:
                continue
            setattr(self, column.__name__, column)
            self._shown[column.__name__] = field.name
            self._shown_of[field.name] = column.__name__

    def _shown_names(self, names: Sequence[Any]) -> Any:
        kept = set(getattr(self, "list_editable", ()))  # edited in the list: the yuan/percent field itself
        out = [self._shown_of.get(n, n) if isinstance(n, str) and n not in kept else n for n in names]
        return tuple(out) if isinstance(names, tuple) else out

    # Forms ----------------------------------------------------------------------------------------
    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest | None, **kwargs: Any) -> Any:
        kind = _kind(db_field)
        if kind is None or not db_field.editable:
            return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        options: dict[str, Any] = {
            "label": unit_free_label(db_field.verbose_name),
            "required": not db_field.blank,
            "help_text": db_field.help_text,
        }
        if db_field.has_default() and not callable(db_field.default):
            options["initial"] = db_field.default
        if kind == MONEY_SUFFIX:
            return YuanField(**options)
        return PercentField(**options)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self._shown_names(super().get_readonly_fields(request, obj))  # type: ignore[misc]

    def _view_only(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)  # type: ignore[attr-defined]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        readonly = set(self.get_readonly_fields(request, obj))
        view_only = self._view_only(request, obj)

        def shown(name: Any) -> Any:
            if isinstance(name, (list, tuple)):
                return type(name)(shown(n) for n in name)
            if isinstance(name, str) and name in self._shown_of and (view_only or self._shown_of[name] in readonly):
                return self._shown_of[name]
            return name

        return [(title, {**options, "fields": shown(options.get("fields", ()))}) for title, options in fieldsets]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        """The model fields shown read-only in yuan/percent stay out of the form."""
        excluded = super().get_exclude(request, obj)  # type: ignore[misc]
        hidden = [self._shown[n] for n in self.get_readonly_fields(request, obj) if isinstance(n, str) and n in self._shown]
        if not hidden:
            return excluded
        if excluded is None:
            meta = getattr(getattr(self, "form", None), "_meta", None)
            excluded = list(getattr(meta, "exclude", None) or [])
        return [*excluded, *hidden]


class ConsoleAdmin(_ConsoleUnits, admin.ModelAdmin):  # type: ignore[type-arg]  # shared by the admins of many models
    """The base of every ModelAdmin of the console (see the module notes)."""

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._shown_names(super().get_list_display(request))

    def get_list_display_links(self, request: HttpRequest, list_display: Sequence[Any]) -> Any:
        links = super().get_list_display_links(request, list_display)  # type: ignore[arg-type]
        return None if links is None else self._shown_names(links)

    def get_sortable_by(self, request: HttpRequest) -> Any:
        return self._shown_names(super().get_sortable_by(request))


class _ConsoleRows(_ConsoleUnits):
    """Inline rows: to whoever may only view them, every field is shown read-only (money in yuan, rates
    in percent) instead of in a form whose yuan/percent columns it could not build."""

    parent_model: type[Model]
    fk_name: str | None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        declared = list(super().get_readonly_fields(request, obj))
        if not self._view_only(request, obj):
            return declared
        parent = _get_foreign_key(self.parent_model, self.model, fk_name=self.fk_name)
        parent_name = parent.name if parent is not None else None
        rest = [f.name for f in self.model._meta.fields if f.editable and not f.primary_key and f.name != parent_name]
        return declared + [name for name in rest if name not in declared and self._shown_of.get(name) not in declared]


class ConsoleInline(_ConsoleRows, admin.TabularInline):  # type: ignore[type-arg]  # shared by many inlines
    """The base of every tabular inline of the console."""


class ConsoleStackedInline(_ConsoleRows, admin.StackedInline):  # type: ignore[type-arg]  # shared by many inlines
    """The base of every stacked inline of the console."""


class ReadOnlyAdmin(ConsoleAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(ConsoleInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def labelled_filter(field_name: str, title: Any, choices: Callable[[], Iterable[tuple[str, Any]]]) -> type:
    """A list filter on a field holding codes that have names in a registered table (posting kinds,
    approval kinds, job names): offers the names, filters by the code."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field_name

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return sorted(((code, str(name)) for code, name in choices()), key=lambda item: item[1])

        def queryset(self, request: HttpRequest, queryset: Any) -> Any:
            return queryset.filter(**{field_name: self.value()}) if self.value() else queryset

    LabelledFilter.title = title
    return LabelledFilter


def act_on_each(
    modeladmin: Any,
    request: HttpRequest,
    items: Iterable[Any],
    act: Callable[[Any], object],
    *,
    name: Callable[[Any], str],
    done_message: Callable[[int], str],
) -> int:
    """A bulk console action: `act(item)` for each item in id order; a refusal (DomainError) is shown
    against the item's `name(item)` and the others go on; `done_message(n)` reports the ones done."""
    done = 0
    for item in items:
        try:
            act(item)
        except DomainError as exc:
            modeladmin.message_user(request, f"{name(item)}: {exc.message}", messages.WARNING)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done))
    return done


class PayoutBatchConsoleAdmin(ConsoleAdmin):
    """What the admins of payout batches (distributors' withdrawals, suppliers' statements) share: the
    page context, the exported file as a download, and the page that imports the bank's results."""

    results_form: type[Any]  # a form with one `file` field
    results_line_count: str  # the batch's attribute counting its lines
    results_note: Any  # how repeated or conflicting rows are treated
    results_number_label: Any  # the column that names a line

    def _context(self, request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    @staticmethod
    def file_response(exported: Any) -> HttpResponse:
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        response["Cache-Control"] = "no-store"
        return response

    def results_page(self, request: HttpRequest, batch: Any, import_results: Callable[..., Any]) -> TemplateResponse:
        """The result-file form; `import_results(batch_id=, actor=, filename=, content=)` is the service
        that applies it and returns a summary holding the batch."""
        form = self.results_form(request.POST or None, request.FILES or None)
        summary, error = None, ""
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                summary = import_results(batch_id=batch.pk, actor=request.user, filename=upload.name, content=upload.read())
            except DomainError as exc:
                error = exc.message
            else:
                batch = summary.batch
        context = self._context(
            request,
            gettext("导入打款结果：%(n)s") % {"n": batch.number},
            original=batch,
            line_count=getattr(batch, self.results_line_count),
            note=self.results_note,
            number_label=self.results_number_label,
            form=form,
            summary=summary,
            error=error,
        )
        return TemplateResponse(request, "admin/payout_import_results.html", context)
