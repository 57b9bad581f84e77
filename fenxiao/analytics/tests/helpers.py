"""Helpers of the analytics tests (their orders come from `tests.factories.sale`)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def local(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.get_default_timezone())
