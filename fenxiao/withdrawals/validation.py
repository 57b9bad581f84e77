"""Cleaning of what a distributor types for real-name verification and payout accounts, and the masks
under which those numbers are shown. Pure functions: they read nothing and write nothing.

Each refusal is a WithdrawalError whose message says what is wrong in words a person can act on;
`detail.field` names the input so the pages can highlight it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent, ValidationError

from fenxiao.common.phone import is_mainland_mobile, mask_phone, normalize_phone

from .errors import WithdrawalCode, WithdrawalError

NAME_MIN, NAME_MAX = 2, 30
# CJK unified ideographs with extension A and the supplementary-plane extensions (rare characters in
# names), plus 〇. Minority names join their parts with the middle dot U+00B7.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME = re.compile(rf"^[{_HAN}]+(?:·[{_HAN}]+)*$")
# What people type for the middle dot: bullets, katakana dot, full stops.
_DOTS = str.maketrans({ch: "·" for ch in "•・‧∙⋅．.。･"})
_SPACES = re.compile(r"\s+")

ID_LENGTH = 18
OLD_ID_LENGTH = 15
EARLIEST_BIRTH_YEAR = 1900

CARD_MIN, CARD_MAX = 12, 19
BANK_NAME_MAX = 40
_BANK_NAME = re.compile(rf"^[{_HAN}A-Za-z0-9()（）·\- ]+$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
EMAIL_MAX = 100
_OPENID = re.compile(r"^[A-Za-z0-9_\-]{6,64}$")


def _error(code: WithdrawalCode, message: str, field: str, **detail) -> WithdrawalError:
    return WithdrawalError(code, message, {"field": field, **detail})


def _text(raw) -> str:
    """NFKC folds full-width digits and letters (１２３Ｘ) into ASCII, as phones' keyboards type them."""
    return unicodedata.normalize("NFKC", str(raw or "")).strip()


# --- real name ------------------------------------------------------------------------------------


def clean_real_name(raw) -> str:
    """2–30 Chinese characters; a minority name keeps its parts apart with "·" (typed dots and spaces
    around them are folded into it)."""
    name = _SPACES.sub("", str(raw or "").strip()).translate(_DOTS)
    if not name:
        raise _error(WithdrawalCode.INVALID_NAME, gettext("请填写真实姓名"), "real_name")
    if not NAME_MIN <= len(name) <= NAME_MAX or not _NAME.match(name):
        raise _error(
            "invalid_name",
            gettext("姓名须为 2–30 个汉字，与身份证一致；少数民族姓名用间隔号“·”分隔"),
            "real_name",
        )
    return name


# --- resident ID number ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "M" / "F": the 17th digit is odd for men, even for women

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]


def _id_error(reason: str, message: str) -> WithdrawalError:
    return _error(WithdrawalCode.INVALID_ID_NUMBER, message, "id_number", reason=reason)


def clean_id_number(raw, *, today: date) -> IdNumber:
    """A mainland resident ID number (GB 11643): 18 characters, a real birth date not after `today`,
    a known region code and the ISO 7064 MOD 11-2 check digit (0–9 or X). The 15-digit numbers of the
    first-generation cards carry no check digit and are refused with their own message."""
    number = re.sub(r"[\s\-]", "", _text(raw)).upper()
    if not number:
        raise _id_error("required", gettext("请填写身份证号码"))
    if len(number) == OLD_ID_LENGTH and number.isdigit():
        raise _id_error("old_format", gettext("不支持 15 位的一代身份证号码，请填写 18 位居民身份证号码"))
    if len(number) != ID_LENGTH:
        raise _id_error("length", gettext("身份证号码应为 18 位，你填写了 %(n)s 位") % {"n": len(number)})
    if not (number[:-1].isascii() and number[:-1].isdigit()) or not (number[-1].isdigit() or number[-1] == "X"):
        raise _id_error("format", gettext("身份证号码前 17 位须为数字，最后一位为数字或 X"))
    try:
        birth = ric.get_birth_date(number)
    except (InvalidComponent, ValueError):
        raise _id_error("birth_date", gettext("身份证号码中的出生日期无效")) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise _id_error("birth_date", gettext("身份证号码中的出生日期无效"))
    if birth > today:
        raise _id_error("future_birth_date", gettext("身份证号码中的出生日期晚于今天，请核对"))
    if number[-1] != ric.calc_check_digit(number):
        raise _id_error("checksum", gettext("身份证号码校验位不正确，请逐位核对"))
    try:
        ric.validate(number)
    except InvalidComponent:
        raise _id_error("region", gettext("身份证号码前 6 位的地区码不存在")) from None
    except ValidationError:
        raise _id_error("format", gettext("身份证号码格式不正确")) from None
    return IdNumber(number=number, birth_date=birth, gender="M" if int(number[16]) % 2 else "F")


def mask_id_number(number: str) -> str:
    """1101**********123X: the first four and the last four, never more."""
    number = str(number or "")
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


# --- mobile ---------------------------------------------------------------------------------------


def clean_mobile(raw) -> str:
    phone = normalize_phone(_text(raw))
    if not is_mainland_mobile(phone):
        raise _error(WithdrawalCode.INVALID_MOBILE, gettext("手机号格式不正确，应为 11 位中国大陆手机号"), "mobile")
    return phone


# --- payout accounts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutAccount:
    kind: str  # card, phone, email, openid
    value: str  # what the payout file carries
    bank_name: str = ""

    @property
    def masked(self) -> str:
        return mask_account(self.kind, self.value)


def clean_bank_account(bank_name, card_number) -> PayoutAccount:
    name = _SPACES.sub(" ", _text(bank_name))
    if not name:
        raise _error(WithdrawalCode.INVALID_BANK_NAME, gettext("请填写开户银行"), "bank_name")
    if len(name) < 2 or len(name) > BANK_NAME_MAX or not _BANK_NAME.match(name):
        raise _error(WithdrawalCode.INVALID_BANK_NAME, gettext("开户银行名称应为 2–40 个字，如：招商银行杭州分行"), "bank_name")
    card = re.sub(r"[\s\-]", "", _text(card_number))
    if not card:
        raise _error(WithdrawalCode.INVALID_BANK_CARD, gettext("请填写银行卡号"), "account")
    if not (card.isascii() and card.isdigit()) or not CARD_MIN <= len(card) <= CARD_MAX:
        raise _error(WithdrawalCode.INVALID_BANK_CARD, gettext("银行卡号应为 12–19 位数字"), "account")
    return PayoutAccount(kind="card", value=card, bank_name=name)


def clean_alipay_account(raw) -> PayoutAccount:
    text = _text(raw)
    if not text:
        raise _error(WithdrawalCode.INVALID_ALIPAY_ACCOUNT, gettext("请填写支付宝账号（手机号或邮箱）"), "account")
    phone = normalize_phone(text)
    if is_mainland_mobile(phone):
        return PayoutAccount(kind="phone", value=phone)
    if len(text) <= EMAIL_MAX and _EMAIL.match(text):
        return PayoutAccount(kind="email", value=text.lower())
    raise _error(WithdrawalCode.INVALID_ALIPAY_ACCOUNT, gettext("支付宝账号应为 11 位手机号或邮箱地址"), "account")


def clean_wechat_account(openid, *, fallback_phone: str) -> PayoutAccount:
    """WeChat change (零钱) is paid to the user's openid when the client knows it, else to the
    verified mobile number."""
    text = _text(openid)
    if not text:
        return PayoutAccount(kind="phone", value=fallback_phone)
    if not _OPENID.match(text):
        raise _error(WithdrawalCode.INVALID_OPENID, gettext("微信 openid 格式不正确"), "account")
    return PayoutAccount(kind="openid", value=text)


def mask_account(kind: str, value: str) -> str:
    value = str(value or "")
    if kind == "card":
        return f"{value[:4]} **** **** {value[-4:]}" if len(value) > 8 else "*" * len(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "email":
        local, _at, domain = value.partition("@")
        return f"{local[:2]}***@{domain}"
    if kind == "openid":
        return f"openid ****{value[-4:]}"
    return "*" * len(value)
