"""The kinds of background job the console can start. Each kind is one function, registered once:

    @register("orders.export", title=_("导出订单"), permission="console.run_exports")
    def run(job: BackgroundJob, progress: Progress) -> dict:
        progress.set_total(n)
        for row in rows:
            ...
            progress.advance()
        progress.save_file("orders.xlsx", path_or_bytes)
        return {"rows": n}          # the summary shown on the job's page

Kinds are registered wherever the module is imported; the console's own areas keep theirs in a
`background.py` module (`fenxiao/console/<area>/background.py`), imported on the first lookup.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _

from .errors import ConsoleJobCode, ConsoleJobError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from fenxiao.console.models import BackgroundJob

RunFunction = Callable[["BackgroundJob", "Progress"], dict[str, Any] | None]


@dataclass(frozen=True)
class Kind:
    name: str
    title: StrOrPromise
    permission: str
    run: RunFunction


_KINDS: dict[str, Kind] = {}
_discovered = False


def register(kind: str, *, title: StrOrPromise, permission: str) -> Callable[[RunFunction], RunFunction]:
    def decorate(run: RunFunction) -> RunFunction:
        existing = _KINDS.get(kind)
        if existing is not None and existing.run is not run:
            qualified = f"{run.__module__}.{run.__qualname__}"
            if qualified != f"{existing.run.__module__}.{existing.run.__qualname__}":
                raise ValueError(f"background job kind {kind!r} is registered twice")
        _KINDS[kind] = Kind(name=kind, title=title, permission=permission, run=run)
        return run

    return decorate


def discover() -> None:
    """Import every console area's `background` module (once)."""
    global _discovered
    if _discovered:
        return
    import fenxiao.console as console

    for area in pkgutil.iter_modules(console.__path__):
        if area.ispkg and importlib.util.find_spec(f"fenxiao.console.{area.name}.background") is not None:
            importlib.import_module(f"fenxiao.console.{area.name}.background")
    _discovered = True


def get(kind: str) -> Kind:
    discover()
    try:
        return _KINDS[kind]
    except KeyError:
        raise ConsoleJobError(ConsoleJobCode.UNKNOWN_KIND, _("未知的后台作业类型"), {"kind": kind}, status=404) from None


def kinds() -> dict[str, Kind]:
    discover()
    return dict(_KINDS)


class Progress:
    """How far a job got. `advance` counts in memory and writes the count at most every
    `every_seconds` or every `every_rows` rows, so a job of a million rows writes a few hundred times."""

    def __init__(self, job: BackgroundJob, *, every_seconds: float = 0.5, every_rows: int = 5000) -> None:
        self.job = job
        self.done = job.done
        self.total = job.total
        self.every_seconds = every_seconds
        self.every_rows = every_rows
        self._written_done = job.done
        self._written_at = time.monotonic()

    def set_total(self, n: int) -> None:
        self.total = max(0, int(n))
        self._write(total=self.total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.done - self._written_done >= self.every_rows or time.monotonic() - self._written_at >= self.every_seconds:
            self._write()

    def flush(self) -> None:
        if self.done != self._written_done:
            self._write()

    def save_file(self, filename: str, content: str | Path | bytes) -> None:
        """Keep the job's result file in private storage (a path on disk, or the bytes themselves)."""
        if isinstance(content, bytes):
            self.job.result_file.save(filename, ContentFile(content), save=False)
        else:
            with open(content, "rb") as handle:
                self.job.result_file.save(filename, File(handle), save=False)
        self._write(result_file=self.job.result_file.name)

    def _write(self, **fields: Any) -> None:
        """One UPDATE of the count (always) and of any other fields given."""
        from django.utils import timezone

        from fenxiao.console.models import BackgroundJob

        fields["done"] = self.done
        fields["progressed_at"] = timezone.now()
        BackgroundJob.objects.filter(pk=self.job.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)
        self._written_done = self.done
        self._written_at = time.monotonic()
