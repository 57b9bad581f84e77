"""The names people read for the kinds of ledger transactions. The ledger knows no domain: the app
that posts a kind gives its label when it registers the kind (for distributors' money, through
`commissions.postings.register`), and the console reads it from here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .services import REVERSAL_KIND

_LABELS: dict[str, Any] = {}


def register_label(kind: str, label: Any) -> None:
    """Name a transaction kind (again with the same label is harmless; another label is a bug)."""
    known = _LABELS.get(kind)
    if known is not None and str(known) != str(label):
        raise ValueError(f"ledger kind {kind!r} is named twice differently")
    _LABELS[kind] = label


def label(kind: str) -> str:
    """The kind's name, or the code itself for a kind nobody named."""
    known = _LABELS.get(kind)
    return str(known) if known is not None else kind


def choices() -> list[tuple[str, Any]]:
    return list(_LABELS.items())


register_label(REVERSAL_KIND, _("冲正"))
