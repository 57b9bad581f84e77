"""The one transition helper. Each app keeps its own table (`TRANSITIONS = {from: {to, ...}}`) and its
own event model; this module checks a move against the table, stamps the time, saves the object and
writes the event row, so that "who moved what from where to where, when" is recorded the same way
everywhere.

    ORDER_MACHINE = StateMachine(
        table=TRANSITIONS, labels=Order.Status, error=OrderError, code=OrderCode.INVALID_TRANSITION,
        event_model=OrderEvent, event_fk="order", stamps={Order.Status.PAID: "paid_at", ...}, what=gettext_lazy("订单"),
    )
    ORDER_MACHINE.move(order, Order.Status.PAID, actor=user, note="…")

`move` works on an object the caller has locked (select_for_update) or just created. `move_if` is the
conditional form for rows nobody locked: one UPDATE … WHERE status = from, so of two racing callers
exactly one wins; the loser gets None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext

from .errors import CommonCode, DomainError

NOTE_MAX = 200

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class StateMachine:
    table: Mapping[str, frozenset[str] | set[str]]
    labels: type[models.TextChoices]
    error: type[DomainError]
    event_model: type[models.Model] | None = None
    event_fk: str = ""
    stamps: Mapping[str, str] = field(default_factory=dict)
    status_field: str = "status"
    note_field: str = "note"
    code: StrEnum = field(kw_only=True)  # the app's own "invalid transition" code, e.g. OrderCode.INVALID_TRANSITION
    detail_key: str = ""  # e.g. "number": the object's attribute of that name goes into the error detail
    what: Any = ""  # e.g. gettext_lazy("订单"): the refusal then reads "订单当前状态（…）不能变为 …"

    def allowed(self, from_status: str, to_status: str) -> bool:
        return to_status in self.table.get(from_status, ())

    def label(self, status: str) -> str:
        try:
            return str(self.labels(status).label)
        except ValueError:
            return status or gettext("无")

    def check(self, from_status: str, to_status: str, *, obj: Any = None) -> None:
        if self.allowed(from_status, to_status):
            return
        detail: dict[str, Any] = {"from": from_status, "to": to_status}
        if obj is not None and self.detail_key:
            detail[self.detail_key] = getattr(obj, self.detail_key, None)
        names = {"what": str(self.what), "from": self.label(from_status), "to": self.label(to_status)}
        if self.what:
            message = gettext("%(what)s当前状态（%(from)s）不能变为 %(to)s") % names
        else:
            message = gettext("当前状态（%(from)s）不能变为 %(to)s") % names
        raise self.error(self.code, message, detail, status=409)

    def move(
        self,
        obj: Any,
        to_status: str,
        *,
        actor: Any = None,
        note: str = "",
        at: datetime | None = None,
        extra_fields: Iterable[str] = (),
        save: bool = True,
        event_fields: Mapping[str, Any] | None = None,
    ) -> str:
        """Check, set the status and its time stamp, save (`update_fields`), write the event. Returns the
        status it came from."""
        from_status: str = getattr(obj, self.status_field) or ""
        self.check(from_status, to_status, obj=obj)
        setattr(obj, self.status_field, to_status)
        fields = [self.status_field, *extra_fields]
        stamp = self.stamps.get(to_status)
        if stamp:
            setattr(obj, stamp, at or timezone.now())
            fields.append(stamp)
        if save and obj.pk:
            obj.save(update_fields=fields)
        self.record(obj, from_status, to_status, actor=actor, note=note, event_fields=event_fields)
        return from_status

    def move_if(
        self,
        model: type[M],
        pk: Any,
        from_status: str,
        to_status: str,
        *,
        actor: Any = None,
        note: str = "",
        at: datetime | None = None,
        event_fields: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> M | None:
        """One conditional UPDATE: moves the row only if it is still in `from_status`. Returns the
        fresh object, or None when another transaction moved it first."""
        self.check(from_status, to_status)
        updates: dict[str, Any] = {self.status_field: to_status, **fields}
        stamp = self.stamps.get(to_status)
        if stamp:
            updates[stamp] = at or timezone.now()
        if not model._default_manager.filter(pk=pk, **{self.status_field: from_status}).update(**updates):
            return None
        obj = model._default_manager.get(pk=pk)
        self.record(obj, from_status, to_status, actor=actor, note=note, event_fields=event_fields)
        return obj

    def record(
        self,
        obj: Any,
        from_status: str,
        to_status: str,
        *,
        actor: Any = None,
        note: str = "",
        event_fields: Mapping[str, Any] | None = None,
    ) -> None:
        """The event row alone (also for a note on the timeline that changes no status)."""
        if self.event_model is None:
            return
        if actor is not None and not getattr(actor, "pk", None):
            actor = None  # anonymous or system
        values = {
            self.event_fk: obj,
            "from_status": from_status,
            "to_status": to_status,
            "actor": actor,
            self.note_field: (note or "")[:NOTE_MAX],
            **(event_fields or {}),
        }
        self.event_model._default_manager.create(**values)


__all__ = ["NOTE_MAX", "CommonCode", "StateMachine"]
