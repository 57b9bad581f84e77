"""Reads for bargains (砍价): an activity's page for a visitor (with the visitor's own open bargain)
and a bargain's progress as anyone opening its link sees it — the price now, the floor, the helps done
and needed, the helpers (names masked), the time left, and what the viewer may do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.common.phone import mask_name

from .models import Bargain, BargainActivity, BargainHelp
from .services.bargains import can_buy, helper_key_for, is_running

B = Bargain.Status

UPCOMING, RUNNING, ENDED = "upcoming", "running", "ended"
HELPERS_SHOWN = 50


def phase(activity: BargainActivity, now: datetime) -> str:
    if is_running(activity, now):
        return RUNNING
    if activity.status != "ended" and now < activity.starts_at:
        return UPCOMING
    return ENDED


@dataclass
class ActivityPage:
    activity: BargainActivity
    phase: str
    open_bargain: Bargain | None
    seconds_left: int


def activity_page(activity_id: int, *, user=None, now: datetime | None = None) -> ActivityPage | None:
    now = now or timezone.now()
    activity = BargainActivity.objects.select_related("sku__product").filter(pk=activity_id).first()
    if activity is None:
        return None
    mine = None
    if user is not None and getattr(user, "is_authenticated", False):
        mine = Bargain.objects.filter(activity=activity, user=user, status__in=[B.ACTIVE, B.FLOOR]).first()
    return ActivityPage(
        activity=activity,
        phase=phase(activity, now),
        open_bargain=mine,
        seconds_left=max(0, int((activity.ends_at - now).total_seconds())),
    )


@dataclass
class HelperLine:
    name: str
    cut_fen: int
    at: datetime


@dataclass
class BargainView:
    bargain: Bargain
    activity: BargainActivity
    helpers: list[HelperLine] = field(default_factory=list)
    seconds_left: int = 0
    progress_bp: int = 0  # the share of (start − floor) already cut, basis points
    is_starter: bool = False
    has_helped: bool = False
    can_help: bool = False
    can_buy: bool = False
    needs_account: bool = False

    @property
    def helps_left(self) -> int:
        return self.bargain.helps_needed - self.bargain.helps_done

    @property
    def cut_so_far_fen(self) -> int:
        return self.bargain.start_price_fen - self.bargain.current_price_fen

    @property
    def left_to_cut_fen(self) -> int:
        return self.bargain.current_price_fen - self.bargain.floor_price_fen


def helper_name(row: BargainHelp) -> str:
    if row.helper_id is not None and row.helper is not None:
        return mask_name(row.helper.nickname or row.helper.username) or "*"
    return gettext("好友")


def starter_name(bargain: Bargain) -> str:
    return mask_name(bargain.user.nickname or bargain.user.username) or "*"


def bargain_view(bargain_id: int, *, user=None, visitor_id: str = "", now: datetime | None = None) -> BargainView | None:
    now = now or timezone.now()
    bargain = Bargain.objects.select_related("activity__sku__product", "user").filter(pk=bargain_id).first()
    if bargain is None:
        return None
    activity = bargain.activity
    helps = list(
        BargainHelp.objects.filter(bargain=bargain).select_related("helper").order_by("created_at", "id")[:HELPERS_SHOWN]
    )
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    key = helper_key_for(user if signed_in else None, visitor_id)
    is_starter = signed_in and user.pk == bargain.user_id
    has_helped = bool(key) and BargainHelp.objects.filter(bargain=bargain, helper_key=key).exists()
    open_for_help = bargain.status == B.ACTIVE and now < bargain.expires_at and is_running(activity, now)
    room = bargain.start_price_fen - bargain.floor_price_fen
    return BargainView(
        bargain=bargain,
        activity=activity,
        helpers=[HelperLine(name=helper_name(row), cut_fen=row.cut_fen, at=row.created_at) for row in helps],
        seconds_left=max(0, int((bargain.expires_at - now).total_seconds())) if bargain.status == B.ACTIVE else 0,
        progress_bp=(room - (bargain.current_price_fen - bargain.floor_price_fen)) * 10000 // room if room > 0 else 10000,
        is_starter=is_starter,
        has_helped=has_helped,
        can_help=open_for_help and not is_starter and not has_helped,
        can_buy=is_starter and can_buy(bargain, activity, now),
        needs_account=activity.help_requires_account and not signed_in,
    )
