"""Writes for accounts: sign-up, profile changes, API tokens and the staff permission groups."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from fenxiao.common.phone import is_mainland_mobile, normalize_phone

from .errors import AccountError
from .models import ApiToken, User, hash_token

# Staff roles and what each may do by default. Keys are app labels ("growth"), or one model of an app
# ("growth.leaderboardaward"); values are the permission actions granted on every model of that app,
# or on that model. The operator may add more in the admin; the defaults are only ever added, never
# taken away.
STAFF_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "运营": {  # operations
        "catalog": ("add", "change", "view", "delete"),
        "distribution": ("add", "change", "view"),  # reviews, levels, settings; shops: text edits and resets
        "orders": ("change", "view"),
        "inventory": ("view",),
        "accounts": ("view",),
        "suppliers": ("view",),
        "growth": ("add", "change", "view"),  # level rules, the monthly evaluation, who moved, leaderboard prizes and closes
    },
    "财务": {  # finance
        "distribution": ("view",),
        "accounts": ("view",),
        "catalog": ("view",),
        "orders": ("view",),
        "payments": ("view",),
        "withdrawals": ("add", "change", "view", "export"),  # review, payout batches, payout files
        "commissions": ("add", "change", "view"),  # settlement schedule and batches, reconciliation
        "ledger": ("view",),  # the books and the ledger check
        # leaderboard prizes, closes and awards (cash prizes are paid through the ledger)
        "growth.leaderboardprize": ("view",),
        "growth.leaderboardclose": ("view",),
        "growth.leaderboardaward": ("view",),
    },
    "客服": {  # service: after-sales and buyers' questions
        "accounts": ("view",),
        "distribution": ("view",),
        "catalog": ("view",),
        "orders": ("change", "view"),
    },
    "供应链": {  # supply chain: stock and shipping
        "catalog": ("add", "change", "view"),
        "inventory": ("add", "change", "view"),
        "orders": ("change", "view"),
        "suppliers": ("add", "change", "view"),
    },
}


STAFF_GROUPS_APPS = {label.split(".")[0] for rules in STAFF_GROUPS.values() for label in rules}


def ensure_staff_groups() -> dict[str, int]:
    """Create the four staff groups and grant their default permissions; safe to run any time."""
    granted: dict[str, int] = {}
    for name, rules in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for target, actions in rules.items():
            app_label, _dot, model = target.partition(".")
            for action in actions:
                codename = {"codename": f"{action}_{model}"} if model else {"codename__startswith": f"{action}_"}
                wanted.extend(Permission.objects.filter(content_type__app_label=app_label, **codename))
        have = set(group.permissions.values_list("pk", flat=True))
        missing = [perm for perm in wanted if perm.pk not in have]
        if missing:
            group.permissions.add(*missing)
        granted[name] = group.permissions.count()
    return granted


def ensure_staff_groups_handler(sender, **kwargs) -> None:
    """After each app migrates its permissions exist; grant the ones the defaults name."""
    if sender.label in {"accounts", *STAFF_GROUPS_APPS}:
        ensure_staff_groups()


def clean_phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if not is_mainland_mobile(phone):
        raise AccountError("invalid_phone", gettext("手机号格式不正确，应为 11 位中国大陆手机号"), {"phone": raw})
    return phone


def clean_nickname(raw: str) -> str:
    nickname = (raw or "").strip()
    if len(nickname) > 32:
        raise AccountError("invalid_nickname", gettext("昵称最多 32 个字符"), {"length": len(nickname)})
    if any(ord(ch) < 32 for ch in nickname):
        raise AccountError("invalid_nickname", gettext("昵称含有不可见字符"))
    return nickname


def register_member(*, phone: str, password: str, nickname: str = "") -> User:
    """Sign a consumer up with phone and password. The phone number is also the login."""
    phone = clean_phone(phone)
    nickname = clean_nickname(nickname)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise AccountError(
            "weak_password",
            gettext("密码太简单：%(rules)s") % {"rules": pgettext("list separator", "；").join(exc.messages)},
            {"rules": exc.messages},
        ) from exc
    if User.objects.filter(phone=phone).exists():
        raise AccountError("phone_taken", gettext("该手机号已注册，请直接登录"), {"phone": phone}, status=409)
    try:
        with transaction.atomic():
            user = User(username=f"m{phone}", phone=phone, nickname=nickname or f"用户{phone[-4:]}")
            user.set_password(password)
            user.save()
    except IntegrityError as exc:
        raise AccountError("phone_taken", gettext("该手机号已注册，请直接登录"), {"phone": phone}, status=409) from exc
    return user


def login_member(*, request, phone: str, password: str) -> User:
    user = authenticate(request, username=(phone or "").strip(), password=password)
    if user is None:
        raise AccountError("invalid_credentials", gettext("手机号或密码错误"), status=401)
    return user


def update_profile(*, user: User, nickname: str | None = None) -> User:
    if nickname is not None:
        user.nickname = clean_nickname(nickname)
        user.save(update_fields=["nickname"])
    return user


def issue_token(*, user: User) -> str:
    """Create an API token and return the raw key; it cannot be shown again."""
    raw = ApiToken.new_raw_key()
    ApiToken.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
    return raw


def revoke_token(*, raw_key: str) -> bool:
    return bool(
        ApiToken.objects.filter(key_hash=hash_token(raw_key), revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def user_for_token(raw_key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw_key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
