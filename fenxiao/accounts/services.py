"""Writes for accounts: sign-up, profile changes, API tokens and the staff permission groups."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from fenxiao.common import ratelimit
from fenxiao.common.phone import is_mainland_mobile, normalize_phone
from fenxiao.sms import services as sms
from fenxiao.sms.errors import SmsError
from fenxiao.sms.models import Purpose

from . import hooks
from .errors import AccountCode, AccountError
from .models import ApiToken, Consent, User, hash_token

# Staff roles and what each may do by default, by duty (docs/permissions.md has the table). Keys are
# app labels ("growth"), or one model of an app ("growth.leaderboardaward"); values are permission
# actions granted on every model of that app, or on that model ("view" → view_<model>); an action with
# an underscore is a whole codename of that app ("orders.aftersale": ("review_aftersale",)).
# No one moves money alone: operations proposes, finance pays out and approves what others propose,
# service reviews after-sales, supply chain ships and receives returns.
STAFF_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "运营": {  # operations: proposes
        "catalog": ("add", "change", "view", "delete"),
        "distribution": ("add", "change", "view"),  # reviews, levels, settings; shops: text edits and resets
        "orders": ("view",),
        "inventory": ("view",),
        "accounts": ("view",),
        "suppliers": ("view",),
        "growth": (
            "add",
            "change",
            "view",
        ),  # level rules, invitation rungs, leaderboard prizes and closes (cash waits for finance)
        "approvals": ("view",),  # sees what it proposed and what finance decided
        "console": ("run_exports",),  # Excel exports of the lists it may see
        # promotions: coupons (and issuing them), 满减送, timed discounts, tier prices; the coupons people
        # hold, the settings and the operation log are seen
        "promotions.coupon": ("add", "change", "view", "issue_coupon"),
        "promotions.fullreduction": ("add", "change", "view"),
        "promotions.fullreductiontier": ("add", "change", "view", "delete"),
        "promotions.timeddiscount": ("add", "change", "view"),
        "promotions.timeddiscountitem": ("add", "change", "view", "delete"),
        "promotions.quantitytier": ("add", "change", "view"),
        "promotions.usercoupon": ("view",),
        "promotions.promotionsettings": ("view",),
        "promotions.promotionaudit": ("view",),
        "promotions.campaign": ("add", "change", "view"),
        "promotions.referralsettings": ("change", "view"),
        "promotions.starterpack": ("change", "view"),
        # marketing activities: flash sales, group buys and bargains with their SKUs; what they made is seen
        "promotions.flashsale": ("add", "change", "view"),
        "promotions.flashitem": ("add", "change", "view", "delete"),
        "promotions.groupbuy": ("add", "change", "view"),
        "promotions.groupbuyitem": ("add", "change", "view", "delete"),
        "promotions.bargainactivity": ("add", "change", "view"),
        "promotions.group": ("view",),
        "promotions.groupmember": ("view",),
        "promotions.groupevent": ("view",),
        "promotions.bargain": ("view",),
        "promotions.bargainhelp": ("view",),
        "promotions.bargainevent": ("view",),
        "promotions.activityorder": ("view",),
        # membership: tiers, member prices, member day and points settings; grants points
        "members.membertier": ("add", "change", "view", "delete"),
        "members.memberprice": ("add", "change", "view", "delete"),
        "members.membersettings": ("change", "view"),
        "members.membership": ("view",),
        "members.pointsmovement": ("view", "grant_points"),
    },
    "财务": {  # finance: pays money out
        "distribution": ("view",),
        "accounts": ("view",),
        "catalog": ("view",),
        "orders": ("view",),
        "orders.aftersale": ("refund_money",),  # refunds on the operator's initiative
        "payments": ("view",),
        "withdrawals": ("add", "change", "view", "export"),  # review, payout batches, payout files
        # supplier statements and their payout batches (files with full account numbers, results)
        "supply.supplierstatement": ("view",),
        "supply.statementline": ("view",),
        "supply.statementevent": ("view",),
        "supply.supplierpayoutbatchevent": ("view",),
        "supply.supplierpayoutbatch": ("add", "change", "view", "export_supplierpayoutbatch"),
        "commissions": ("add", "change", "view"),  # settlement schedule and batches, reconciliation
        "ledger": ("view",),  # the books and the ledger check
        "console": ("run_exports",),
        "approvals": ("view", "decide"),  # approves cash rewards, prizes, team-bonus runs, large refunds, payout batches
        # leaderboard prizes, closes and awards (cash prizes are paid through the ledger)
        "growth.leaderboardprize": ("view",),
        "growth.leaderboardclose": ("view",),
        "growth.leaderboardaward": ("view",),
        "promotions": ("view",),  # what the promotions cost and drove
        "members": ("view",),  # member tiers and the points people hold
    },
    "客服": {  # service: after-sales and buyers' questions
        "accounts": ("view",),
        "distribution": ("view",),
        "catalog": ("view",),
        "orders": ("view",),
        "orders.order": ("cancel_order",),  # an unshipped order, paid money back in full
        "orders.aftersale": ("review_aftersale",),
        "logistics": ("view",),  # carriers and parcels' journeys, for buyers' questions
        "supply.shipmentexception": ("view", "change"),  # suppliers' shipping problems (an address to fix)
        "console": ("run_exports",),
    },
    "供应链": {  # supply chain: stock, shipping and returns
        "catalog": ("add", "change", "view"),
        "inventory": ("add", "change", "view"),
        "orders": ("view",),
        "orders.order": ("ship_order",),
        "orders.aftersale": ("receive_return",),
        "logistics.carrier": ("add", "change", "view"),  # the carriers offered when shipping
        "logistics.trackingevent": ("view",),
        "logistics.parcel": ("view",),
        "suppliers": ("add", "change", "view"),
        "suppliers.supplier": ("review_supplier",),  # admission, evaluation, suspension
        "supply.shipmentexception": ("view", "change"),  # suppliers' shipping problems (out of stock)
        "supply.samplerequest": ("view", "review_samplerequest"),  # distributors' sample requests
        "supply.samplequota": ("add", "change", "view"),  # sample units per level and month
        "console": ("run_exports",),
    },
}


def ensure_staff_groups() -> dict[str, int]:
    """Create the four staff groups and grant their default permissions; safe to run any time (it runs
    after every migrate). Defaults that earlier versions granted but that no longer belong to a group's
    duty are taken away; anything else the operator added in the admin stays."""
    # Earlier defaults, now outside the group's duty: "orders" change_* let every group ship, cancel,
    # approve after-sales and refund.
    retired = {
        name: (("orders", "change_order"), ("orders", "change_aftersale"), ("orders", "change_orderline"))
        for name in STAFF_GROUPS
    }
    granted: dict[str, int] = {}
    for name, rules in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted: list = []
        for target, actions in rules.items():
            app_label, _dot, model = target.partition(".")
            for action in actions:
                if "_" in action:
                    codename = {"codename": action}
                elif model:
                    codename = {"codename": f"{action}_{model}"}
                else:
                    codename = {"codename__startswith": f"{action}_"}
                wanted.extend(Permission.objects.filter(content_type__app_label=app_label, **codename))
        have = set(group.permissions.values_list("pk", flat=True))
        missing = [perm for perm in wanted if perm.pk not in have]
        if missing:
            group.permissions.add(*missing)
        wanted_pks = {perm.pk for perm in wanted}
        stale = [
            perm
            for app_label, codename in retired.get(name, ())
            for perm in Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            if perm.pk in have and perm.pk not in wanted_pks
        ]
        if stale:
            group.permissions.remove(*stale)
        granted[name] = group.permissions.count()
    return granted


def ensure_staff_groups_handler(sender, **kwargs) -> None:
    """Grant the defaults once per migrate (or flush), after the last app's post_migrate: every app's
    permissions exist by then, and one run grants what a run after each app would (each run costs
    about a hundred queries, and the test suite flushes the database after every transactional test)."""
    from django.apps import apps

    senders = [config.label for config in apps.get_app_configs() if config.models_module is not None]
    if sender.label == senders[-1]:
        ensure_staff_groups()


def clean_phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if not is_mainland_mobile(phone):
        raise AccountError(AccountCode.INVALID_PHONE, gettext("手机号格式不正确，应为 11 位中国大陆手机号"), {"phone": raw})
    return phone


def clean_nickname(raw: str) -> str:
    nickname = (raw or "").strip()
    if len(nickname) > 32:
        raise AccountError(AccountCode.INVALID_NICKNAME, gettext("昵称最多 32 个字符"), {"length": len(nickname)})
    if any(ord(ch) < 32 for ch in nickname):
        raise AccountError(AccountCode.INVALID_NICKNAME, gettext("昵称含有不可见字符"))
    return nickname


def _weak_password(exc: ValidationError) -> AccountError:
    return AccountError(
        AccountCode.WEAK_PASSWORD,
        gettext("密码太简单：%(rules)s") % {"rules": pgettext("list separator", "；").join(exc.messages)},
        {"rules": exc.messages},
    )


def register_member(*, phone: str, password: str, nickname: str = "") -> User:
    """Sign a consumer up with phone and password. The phone number is also the login.

    The password is hashed before the write transaction opens (hashing is slow by design, and on
    SQLite the transaction holds the database's write lock), and before looking the phone up, so a
    taken phone costs the same work as a new one.
    """
    phone = clean_phone(phone)
    nickname = clean_nickname(nickname)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise _weak_password(exc) from exc
    encoded = make_password(password)
    if User.objects.filter(phone=phone).exists():
        raise AccountError(AccountCode.PHONE_TAKEN, gettext("该手机号已注册，请直接登录"), {"phone": phone}, status=409)
    try:
        with transaction.atomic():
            user = User(username=f"m{phone}", phone=phone, nickname=nickname or f"用户{phone[-4:]}", password=encoded)
            user.save()
            hooks.member_registered(user)
    except IntegrityError as exc:
        raise AccountError(AccountCode.PHONE_TAKEN, gettext("该手机号已注册，请直接登录"), {"phone": phone}, status=409) from exc
    return user


# --- attempts: login and sign-up are counted per phone and per client address ------------------
# Each setting is (attempts, window seconds, lockout seconds).


def _login_rules() -> tuple[ratelimit.Rule, ratelimit.Rule]:
    return (
        ratelimit.Rule.from_settings("login-phone", "FENXIAO_LOGIN_PHONE_LIMIT", (5, 15 * 60, 15 * 60)),
        ratelimit.Rule.from_settings("login-address", "FENXIAO_LOGIN_ADDRESS_LIMIT", (30, 15 * 60, 15 * 60)),
    )


def _register_rules() -> tuple[ratelimit.Rule, ratelimit.Rule]:
    return (
        ratelimit.Rule.from_settings("register-phone", "FENXIAO_REGISTER_PHONE_LIMIT", (5, 60 * 60, 60 * 60)),
        ratelimit.Rule.from_settings("register-address", "FENXIAO_REGISTER_ADDRESS_LIMIT", (20, 60 * 60, 60 * 60)),
    )


def _login_key(login: str) -> str:
    """The same person counts once, however the phone is typed; usernames regardless of case."""
    phone = normalize_phone(login)
    return phone if is_mainland_mobile(phone) else login.strip().lower()


def _address(request) -> str:
    return ratelimit.client_address(request) if request is not None else ""


def agreement_versions() -> dict[str, str]:
    """The current version of each document a user accepts (settings FENXIAO_AGREEMENT_VERSIONS)."""
    versions = getattr(settings, "FENXIAO_AGREEMENT_VERSIONS", {})
    return {doc: str(versions.get(doc, "1")) for doc in Consent.Document.values}


def record_consent(*, user: User, documents, address: str = "") -> list[Consent]:
    """Record that `user` accepted the current version of each of `documents`, now, from `address`."""
    versions = agreement_versions()
    return [
        Consent.objects.create(user=user, document=doc, version=versions[doc], client_address=(address or "")[:45])
        for doc in documents
    ]


def accept_agreements(*, request, user: User, documents) -> list[Consent]:
    """A signed-in user accepted `documents` on a page (the distributor agreement when applying)."""
    return record_consent(user=user, documents=documents, address=_address(request))


def distributor_agreement_required() -> AccountError:
    return AccountError(
        AccountCode.CONSENT_REQUIRED, gettext("请阅读并同意《分销商协议》"), {"documents": [Consent.Document.DISTRIBUTOR.value]}
    )


def check_distributor_agreement(version: str | None) -> str:
    """A client applying to become a distributor names the version of the distributor agreement its
    user read and accepted; it must be the current one. Missing → `consent_required` (400); another
    version → `agreement_outdated` (409, with the current version, so the client shows it again).
    Returns the current version; the caller then records the consent with `accept_agreements`."""
    current = agreement_versions()[Consent.Document.DISTRIBUTOR]
    given = str(version or "").strip()
    if not given:
        raise distributor_agreement_required()
    if given != current:
        raise AccountError(
            AccountCode.AGREEMENT_OUTDATED,
            gettext("《分销商协议》已更新，请阅读最新版本后重新同意"),
            {"documents": [Consent.Document.DISTRIBUTOR.value], "version": given[:32], "current_version": current},
            status=409,
        )
    return current


def _consent_required() -> AccountError:
    return AccountError(
        AccountCode.CONSENT_REQUIRED, gettext("请阅读并同意《用户协议》和《隐私政策》"), {"documents": ["user", "privacy"]}
    )


def send_code(*, request, phone: str, purpose: str) -> sms.SentCode:
    """Send an SMS code for one of the account purposes; the same answer whether or not the phone
    has an account (sending is limited per phone and per client address)."""
    return sms.send_code(phone=phone, purpose=purpose, address=_address(request))


def sign_up(*, request, phone: str, password: str, code: str, agreed: bool, nickname: str = "") -> tuple[User, bool]:
    """Registration with a verified phone: the SMS code sent for `register` to that phone, and consent
    to the user agreement and the privacy policy (recorded with their versions, the time and the
    client address).

    Input errors are the same for every phone and come before the code is used. With a right code the
    caller owns the phone: a new phone gets its account, a phone that already has one is left as it
    was (the password given is not set). Returns (user, created). Attempts are counted per client
    address and per phone.
    """
    by_phone, by_address = _register_rules()
    address = _address(request)
    ratelimit.check((by_address, address))
    ratelimit.hit(by_address, address)
    phone = clean_phone(phone)
    ratelimit.check((by_phone, phone))
    ratelimit.hit(by_phone, phone)
    clean_nickname(nickname)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise _weak_password(exc) from exc
    if not agreed:
        raise _consent_required()
    sms.verify_code(phone=phone, purpose=Purpose.REGISTER, code=code)
    try:
        user, created = register_member(phone=phone, password=password, nickname=nickname), True
    except AccountError as exc:
        if exc.code != "phone_taken":
            raise
        user, created = User.objects.get(phone=phone), False
    record_consent(user=user, documents=(Consent.Document.USER, Consent.Document.PRIVACY), address=address)
    return user, created


def _user_for_code(*, request, phone: str, purpose: str, code: str) -> User:
    """The active user of `phone` after its code for `purpose` checks out. A wrong code and a phone
    without an account get the same answer. Failures count like failed logins."""
    by_login, by_address = _login_rules()
    phone = sms.clean_phone(phone)
    address = _address(request)
    ratelimit.check((by_login, phone), (by_address, address))
    try:
        sms.verify_code(phone=phone, purpose=purpose, code=code)
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise sms.invalid_code()
    except SmsError:
        ratelimit.hit(by_login, phone)
        ratelimit.hit(by_address, address)
        raise
    ratelimit.reset(by_login, phone)
    return user


def login_by_code(*, request, phone: str, code: str) -> User:
    """Log in with the SMS code sent for `login`."""
    return _user_for_code(request=request, phone=phone, purpose=Purpose.LOGIN, code=code)


def reset_password(*, request, phone: str, code: str, new_password: str) -> User:
    """Set a new password with the SMS code sent for `reset_password`; every API token of the user is
    revoked (`revoke_tokens_on_password_change`). The new password is checked before the code is used."""
    try:
        validate_password(new_password)
    except ValidationError as exc:
        raise _weak_password(exc) from exc
    user = _user_for_code(request=request, phone=phone, purpose=Purpose.RESET_PASSWORD, code=code)
    user.set_password(new_password)  # hashed here, outside any transaction
    user.save(update_fields=["password"])
    return user


def login_member(*, request, phone: str, password: str) -> User:
    """Check a phone (or an operator's username) and password. Failures are counted per login and per
    client address; a locked login answers `throttled` without checking the password."""
    login = (phone or "").strip()
    by_login, by_address = _login_rules()
    key, address = _login_key(login), _address(request)
    ratelimit.check((by_login, key), (by_address, address))
    user = authenticate(request, username=login, password=password)
    if user is None:
        ratelimit.hit(by_login, key)
        ratelimit.hit(by_address, address)
        raise AccountError(AccountCode.INVALID_CREDENTIALS, gettext("手机号或密码错误"), status=401)
    ratelimit.reset(by_login, key)
    return user


def change_password(*, request, user: User, old_password: str, new_password: str) -> User:
    """The user's own password change. Every API token of the user is revoked (see
    `revoke_tokens_on_password_change`); the caller issues a fresh one if it needs to."""
    by_login, _by_address = _login_rules()
    key = _login_key(user.phone or user.get_username())
    ratelimit.check((by_login, key))
    if not user.check_password(old_password or ""):
        ratelimit.hit(by_login, key)
        raise AccountError(AccountCode.WRONG_PASSWORD, gettext("原密码不正确"), status=400)
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise _weak_password(exc) from exc
    user.set_password(new_password)  # hashed here, outside any transaction
    user.save(update_fields=["password"])
    return user


def update_profile(*, user: User, nickname: str | None = None) -> User:
    if nickname is not None:
        user.nickname = clean_nickname(nickname)
        user.save(update_fields=["nickname"])
    return user


def token_lifetimes() -> tuple[timedelta, timedelta]:
    """(idle, absolute): a token lapses after `idle` without use, and `absolute` after it was issued."""
    idle = int(getattr(settings, "FENXIAO_TOKEN_IDLE_SECONDS", 14 * 24 * 3600))
    absolute = int(getattr(settings, "FENXIAO_TOKEN_MAX_AGE_SECONDS", 90 * 24 * 3600))
    return timedelta(seconds=max(60, idle)), timedelta(seconds=max(60, absolute))


def issue_token(*, user: User, app_id: str = "") -> str:
    """Create an API token and return the raw key; it cannot be shown again. `app_id` names the
    mini-program whose login issued it (the token then speaks for that app)."""
    raw = ApiToken.new_raw_key()
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8], app_id=app_id[:32])
    return raw


def revoke_token(*, raw_key: str) -> bool:
    return bool(ApiToken.objects.filter(key_hash=hash_token(raw_key), revoked_at__isnull=True).update(revoked_at=timezone.now()))


def revoke_all_tokens(*, user: User) -> int:
    """Revoke every live token of the user; returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_tokens(*, queryset) -> int:
    """Revoke the live tokens among `queryset` (the console's action); returns how many."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def revoke_tokens_on_password_change(sender, instance: User, created: bool, **kwargs) -> None:
    """post_save of User: a password set with `set_password` (own change, reset, the console, the
    changepassword command) ends every API token of the user."""
    if not created and getattr(instance, "_password", None) is not None:
        revoke_all_tokens(user=instance)


def user_for_token(raw_key: str) -> User | None:
    """The user of a live token, or None (see `live_token`)."""
    token = live_token(raw_key)
    return token.user if token is not None else None


def live_token(raw_key: str) -> ApiToken | None:
    """The live token of a raw key, with its user, or None. Each use extends the token's life by the
    idle period (the last use is written at most every few minutes), never past the absolute maximum."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    idle, absolute = token_lifetimes()
    if now >= token.expires_at(idle=idle, absolute=absolute):
        return None
    touch_every = min(timedelta(minutes=5), idle / 10)
    if token.last_used_at is None or now - token.last_used_at > touch_every:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
