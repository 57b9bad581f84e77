"""Commission figures for the console's home: what was accrued per time window."""

from __future__ import annotations

from django.db.models import Count, Sum

from fenxiao.common.figures import Window, windowed

from ..models import Commission


def accrued(windows: dict[str, Window]) -> dict[str, dict[str, int]]:
    """Commission recorded in each window (by the time it was accrued, before later cancellations)."""
    return windowed(
        Commission.objects.all(),
        "created_at",
        windows,
        amount_fen=lambda inside: Sum("amount_fen", filter=inside),
        count=lambda inside: Count("created_at", filter=inside),
    )
