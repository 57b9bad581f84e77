"""Reads of accounts for reports."""

from __future__ import annotations

from django.db.models import Count

from fenxiao.common.figures import Window, windowed

from .models import User


def new_customers(windows: dict[str, Window]) -> dict[str, dict[str, int]]:
    """Accounts registered in each window, staff left out."""
    return windowed(
        User.objects.filter(is_staff=False), "date_joined", windows, count=lambda inside: Count("date_joined", filter=inside)
    )
