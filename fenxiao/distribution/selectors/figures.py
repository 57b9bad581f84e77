"""Figures of the distributor network for the console's home: applications waiting for review,
distributors approved and visitors of share links per time window (see `fenxiao.common.figures`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import CharField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from fenxiao.common.figures import Window, windowed

from ..models import Distributor, Visit


def applications_waiting_count() -> int:
    """Applications an operator has to review (not those waiting for the applicant's first purchase)."""
    return Distributor.objects.filter(status=Distributor.Status.PENDING).count()


def new_distributors(windows: dict[str, Window]) -> dict[str, dict[str, int]]:
    """Distributors approved in each window."""
    return windowed(Distributor.objects.all(), "approved_at", windows, count=lambda inside: Count("approved_at", filter=inside))


# One visitor: the signed-in user, else the browser session; a visit with neither is not counted.
_VISITOR = Coalesce(Cast("visitor_id", CharField()), NullIf("session_key", Value("")), output_field=CharField())


def visits_in(spans: Iterable[Window]) -> QuerySet[Visit]:
    """The visits in any of these [start, end) spans, each annotated with its visitor's `key` (None for a
    visit with no visitor to tell), for reports that count visitors beyond a plain window (`visitors`).
    Each span is a range of the time index, however far apart they lie."""
    inside = Q(pk__in=[])
    for start, end in spans:
        inside |= Q(created_at__gte=start, created_at__lt=end)
    return Visit.objects.filter(inside).annotate(key=_VISITOR)


def visitor_keys(window: Window) -> QuerySet:
    """The distinct visitor keys (values of `key`) that came in the window."""
    return visits_in([window]).filter(key__isnull=False).order_by().values("key").distinct()  # type: ignore[misc]  # annotated


def visitors(windows: dict[str, Window]) -> dict[str, dict[str, int]]:
    """Share-link visits and distinct visitors in each window."""
    return windowed(
        Visit.objects.all(),
        "created_at",
        windows,
        visits=lambda inside: Count("created_at", filter=inside),
        visitors=lambda inside: Count(_VISITOR, filter=inside, distinct=True),
    )
