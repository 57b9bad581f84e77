"""Bargains (砍价): /api/v1/bargains — an activity, starting a bargain, a bargain's progress and a
friend's help. Reading is open to anyone (a shared link is opened by people without an account);
helping needs a signed-in account unless the activity lets visitors help, who are then told apart by
their session key. Helpers get nothing for helping or sharing."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.errors import AuthorizationError
from ninja.utils import check_csrf
from pydantic import Field

from fenxiao.accounts.auth import TokenAuth, current_user, member_auth

from . import selectors_bargains as selectors
from .errors import PromotionCode, PromotionError
from .services import bargains

router = Router(tags=["砍价 bargains"], auth=member_auth)


class BargainActivityOut(Schema):
    id: int
    name: str
    product_id: int
    product_name: str
    sku_id: int
    spec: str
    start_price_fen: int = Field(description="起砍价（分）")
    floor_price_fen: int = Field(description="底价（分）")
    helps_needed: int = Field(description="砍到底价需要的助力人数")
    hours: int = Field(description="每个砍价的时限（小时）")
    daily_help_limit: int = Field(description="每人每天最多助力次数")
    help_requires_account: bool = Field(description="助力是否须登录")
    buy_above_floor: bool = Field(description="未砍到底价时能否按已砍到的价格购买")
    share_text: str
    starts_at: datetime
    ends_at: datetime
    phase: str = Field(description="upcoming 即将开始 / running 进行中 / ended 已结束")
    my_bargain_id: int | None = Field(description="调用者在本活动进行中的砍价（未登录为空）")


class BargainHelperOut(Schema):
    name: str = Field(description="助力人（昵称脱敏）")
    cut_fen: int
    at: datetime


class BargainOut(Schema):
    id: int
    activity_id: int
    activity_name: str
    product_name: str
    spec: str
    status: str = Field(description="active 砍价中 / floor 已砍到底价 / expired 已结束 / bought 已下单")
    status_label: str
    starter: str = Field(description="发起人（昵称脱敏）")
    start_price_fen: int
    floor_price_fen: int
    current_price_fen: int = Field(description="当前价（分）")
    cut_so_far_fen: int
    helps_done: int
    helps_needed: int
    progress_bp: int = Field(description="已砍掉的比例（基点，10000 为砍到底价）")
    expires_at: datetime
    seconds_left: int = Field(description="距结束的秒数；已结束为 0")
    helpers: list[BargainHelperOut]
    share_text: str
    help_requires_account: bool
    is_starter: bool
    can_help: bool = Field(description="调用者此刻能否助力")
    can_buy: bool = Field(description="发起人此刻能否下单")
    order_id: int | None = Field(description="发起人的订单（仅发起人可见）")


class BargainHelpOut(Schema):
    cut_fen: int = Field(description="这一刀砍掉的金额（分）")
    bargain: BargainOut


def _user(request):
    """The caller on an open route: a bearer token's user, else the browser session's (CSRF-checked
    for writes), else None."""
    user = TokenAuth()(request)
    if user is not None:
        return user
    session_user = getattr(request, "user", None)
    if session_user is None or not session_user.is_authenticated:
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS") and check_csrf(request) is not None:
        raise AuthorizationError(gettext("CSRF 校验失败，请刷新页面后重试"))
    return session_user


def _visitor_id(request) -> str:
    """A visitor without an account is named by the session key (a session is made for them)."""
    session = getattr(request, "session", None)
    if session is None:
        return ""
    if session.session_key is None:
        session.save()
    return session.session_key or ""


def activity_dict(page) -> dict:
    a = page.activity
    return {
        "id": a.pk,
        "name": a.name,
        "product_id": a.sku.product_id,
        "product_name": a.sku.product.name,
        "sku_id": a.sku_id,
        "spec": a.sku.spec,
        "start_price_fen": a.start_price_fen,
        "floor_price_fen": a.floor_price_fen,
        "helps_needed": a.helps_needed,
        "hours": a.hours,
        "daily_help_limit": a.daily_help_limit,
        "help_requires_account": a.help_requires_account,
        "buy_above_floor": a.buy_above_floor,
        "share_text": a.share_text,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "phase": page.phase,
        "my_bargain_id": page.open_bargain.pk if page.open_bargain else None,
    }


def bargain_dict(view) -> dict:
    b = view.bargain
    return {
        "id": b.pk,
        "activity_id": b.activity_id,
        "activity_name": view.activity.name,
        "product_name": view.activity.sku.product.name,
        "spec": view.activity.sku.spec,
        "status": b.status,
        "status_label": b.get_status_display(),
        "starter": selectors.starter_name(b),
        "start_price_fen": b.start_price_fen,
        "floor_price_fen": b.floor_price_fen,
        "current_price_fen": b.current_price_fen,
        "cut_so_far_fen": view.cut_so_far_fen,
        "helps_done": b.helps_done,
        "helps_needed": b.helps_needed,
        "progress_bp": view.progress_bp,
        "expires_at": b.expires_at,
        "seconds_left": view.seconds_left,
        "helpers": [{"name": h.name, "cut_fen": h.cut_fen, "at": h.at} for h in view.helpers],
        "share_text": view.activity.share_text,
        "help_requires_account": view.activity.help_requires_account,
        "is_starter": view.is_starter,
        "can_help": view.can_help,
        "can_buy": view.can_buy,
        "order_id": b.order_id if view.is_starter else None,
    }


def _view(bargain_id: int, *, user, visitor_id: str = ""):
    view = selectors.bargain_view(bargain_id, user=user, visitor_id=visitor_id)
    if view is None:
        raise PromotionError(PromotionCode.BARGAIN_NOT_FOUND, gettext("砍价不存在"), {"bargain_id": bargain_id}, status=404)
    return view


@router.get(
    "/activities/{activity_id}",
    response=BargainActivityOut,
    auth=None,
    summary="砍价活动（公开；登录时带上我进行中的砍价）",
    description="活动不存在返回 404 `activity_not_found`。",
)
def activity(request, activity_id: int):
    page = selectors.activity_page(activity_id, user=_user(request))
    if page is None:
        raise PromotionError(
            PromotionCode.ACTIVITY_NOT_FOUND, gettext("砍价活动不存在"), {"activity_id": activity_id}, status=404
        )
    return activity_dict(page)


@router.post(
    "/activities/{activity_id}/start",
    response={201: BargainOut},
    summary="发起砍价",
    description=(
        "按活动的起砍价发起一个砍价，时限为活动设置的小时数（不超过活动结束时间）。"
        "同一活动已有进行中的砍价返回 409 `bargain_open`（detail.bargain_id 为那一个）；"
        "活动未开始 409 `activity_not_started`，已结束或暂停 409 `activity_ended`，不存在 404 `activity_not_found`。"
    ),
)
def start(request, activity_id: int):
    user = current_user(request)
    bargain = bargains.start(user=user, activity_id=activity_id)
    return Status(201, bargain_dict(_view(bargain.pk, user=user)))


@router.get(
    "/{bargain_id}",
    response=BargainOut,
    auth=None,
    summary="砍价进度（公开：当前价、底价、助力人数、剩余时间）",
    description="不存在返回 404 `bargain_not_found`。",
)
def bargain_detail(request, bargain_id: int):
    user = _user(request)
    session = getattr(request, "session", None)
    visitor = (session.session_key or "") if session is not None and user is None else ""
    return bargain_dict(_view(bargain_id, user=user, visitor_id=visitor))


@router.post(
    "/{bargain_id}/help",
    response=BargainHelpOut,
    auth=None,
    summary="帮好友砍一刀",
    description=(
        "活动要求登录时须登录（否则 401 `help_needs_account`）；允许未登录助力时以浏览器会话区分访客。"
        "每人对同一砍价只能助力一次（409 `already_helped`），每天助力次数有上限（409 `daily_help_limit`，按北京时间计日），"
        "不能给自己砍（409 `self_help`），砍价已结束、已砍到底价或已下单 409 `bargain_ended`，不存在 404 `bargain_not_found`。"
        "返回这一刀砍掉的金额和砍价的最新进度。"
    ),
)
def help_bargain(request, bargain_id: int):
    user = _user(request)
    visitor = "" if user is not None else _visitor_id(request)
    result = bargains.help_bargain(bargain_id=bargain_id, user=user, visitor_id=visitor)
    return {"cut_fen": result.cut_fen, "bargain": bargain_dict(_view(bargain_id, user=user, visitor_id=visitor))}
