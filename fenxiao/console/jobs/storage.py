"""Where job files live: a folder beside MEDIA_ROOT (or FENXIAO_PRIVATE_ROOT), never served under
/media/. Files leave it only through the permission-checked download view."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateStorage(FileSystemStorage):
    def _clear_cached_properties(self, setting: str, **kwargs: object) -> None:
        super()._clear_cached_properties(setting, **kwargs)  # type: ignore[arg-type]  # any setting may change
        if setting == "FENXIAO_PRIVATE_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    @cached_property
    def base_location(self) -> str:  # type: ignore[override]
        configured = getattr(settings, "FENXIAO_PRIVATE_ROOT", None)
        return str(configured or Path(settings.MEDIA_ROOT).parent / "private")

    @cached_property
    def base_url(self) -> None:  # type: ignore[override]
        return None  # no URL: `.url` raises, so no page can link to the file directly

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL")


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    return _storage
