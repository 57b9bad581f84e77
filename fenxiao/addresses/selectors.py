"""Reads of the address book."""

from __future__ import annotations

from .models import Address


def addresses_of(user):
    """The user's addresses: the default first, then the newest."""
    return Address.objects.filter(user=user).order_by("-is_default", "-created_at", "-id")


def address_of(user, address_id) -> Address | None:
    """One of the user's own addresses; somebody else's is None, like one that does not exist."""
    if address_id is None:
        return None
    return Address.objects.filter(user=user, pk=address_id).first()


def default_address(user) -> Address | None:
    """The address marked default (there is one whenever the book is not empty)."""
    return addresses_of(user).first()
