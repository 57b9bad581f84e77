"""Abstract model shapes shared by the domain apps (no tables of their own)."""

from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _


class TransitionEvent(models.Model):
    """The shape of a timeline row: from what to what, who did it, when and why."""

    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        labels = self.status_labels()
        return f"{labels.get(self.from_status, self.from_status) or '—'} → {labels.get(self.to_status, self.to_status)}"

    @classmethod
    def status_labels(cls) -> dict[str, str]:
        """The names of the statuses: those of the record the row belongs to (the `status` choices of
        the model its foreign key points to)."""
        for field in cls._meta.concrete_fields:
            if isinstance(field, models.ForeignKey):
                related: Any = field.related_model
                try:
                    status: Any = related._meta.get_field("status")
                except FieldDoesNotExist:
                    continue
                if status.flatchoices:
                    return {str(code): str(label) for code, label in status.flatchoices}
        return {}
