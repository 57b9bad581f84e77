"""Real-name verification: what counts as a name, an ID number and a mobile; the ID number encrypted
at rest, shown only masked, and backing one distributor only."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import date

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from fenxiao.withdrawals import crypto, services, validation
from fenxiao.withdrawals.errors import WithdrawalError
from fenxiao.withdrawals.models import IdentityConflict, KycRecord
from tests.factories import DistributorFactory, UserFactory

from .conftest import OTHER_ID, VALID_ID, make_id

TODAY = date(2026, 6, 1)


def id_error(raw) -> WithdrawalError:
    with pytest.raises(WithdrawalError) as caught:
        validation.clean_id_number(raw, today=TODAY)
    assert caught.value.code == "invalid_id_number"
    assert caught.value.detail["field"] == "id_number"
    return caught.value


def x_checked_id() -> str:
    """An ID number whose check digit is X."""
    for seq in range(1000):
        body = f"11010119800101{seq:03d}"
        number = make_id(body)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit found")


# --- ID numbers ---------------------------------------------------------------------------------


def test_a_valid_number_gives_birth_date_and_gender():
    info = validation.clean_id_number(VALID_ID, today=TODAY)
    assert info.number == VALID_ID == "110101199003071233"
    assert info.birth_date == date(1990, 3, 7)
    assert info.gender == "M"  # 17th digit 3 is odd
    assert validation.clean_id_number(OTHER_ID, today=TODAY).gender == "F"
    assert info.masked == "1101**********1233"
    assert info.last4 == "1233"


def test_x_check_digit_in_either_case_spaces_and_full_width_digits():
    number = x_checked_id()
    assert validation.clean_id_number(number.lower(), today=TODAY).number == number
    spaced = f" {number[:6]} {number[6:14]} {number[14:]} "
    assert validation.clean_id_number(spaced, today=TODAY).number == number
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert validation.clean_id_number(full_width, today=TODAY).number == number


def test_a_wrong_check_digit_is_refused():
    wrong = VALID_ID[:-1] + ("4" if VALID_ID[-1] != "4" else "5")
    assert id_error(wrong).detail["reason"] == "checksum"
    assert "校验位" in id_error(wrong).message
    assert id_error(VALID_ID[:-1] + "X").detail["reason"] == "checksum"


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "18991231"])
def test_an_impossible_birth_date_is_refused(birth):
    error = id_error(make_id(f"110101{birth}123"))
    assert error.detail["reason"] == "birth_date"
    assert "出生日期" in error.message


def test_a_birth_date_after_today_is_refused():
    error = id_error(make_id("11010120260602123"))
    assert error.detail["reason"] == "future_birth_date"
    assert validation.clean_id_number(make_id("11010120260601123"), today=TODAY).birth_date == TODAY


def test_old_15_digit_numbers_are_refused_with_their_own_message():
    error = id_error("110101900307123")
    assert error.detail["reason"] == "old_format"
    assert "15 位" in error.message and "18 位" in error.message


@pytest.mark.parametrize(
    "raw,reason",
    [
        ("", "required"),
        ("11010119900307123", "length"),
        ("1101011990030712345", "length"),
        ("11010119900307A233", "format"),
        ("ABCDEFGHIJKLMNOPQR", "format"),
        ("11010119900307123Y", "format"),
    ],
)
def test_wrong_length_and_letters_are_refused(raw, reason):
    assert id_error(raw).detail["reason"] == reason


def test_an_unknown_region_is_refused():
    assert id_error(make_id("00000019900307123")).detail["reason"] == "region"


# --- names and mobiles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("王小明", "王小明"),
        (" 欧阳 娜娜 ", "欧阳娜娜"),
        ("阿卜杜拉·艾合买提", "阿卜杜拉·艾合买提"),
        ("阿卜杜拉•艾合买提", "阿卜杜拉·艾合买提"),
        ("阿卜杜拉 . 艾合买提", "阿卜杜拉·艾合买提"),
        ("王〇", "王〇"),
        ("𠮷野", "𠮷野"),
    ],
)
def test_names_of_two_to_thirty_chinese_characters_with_middle_dots(raw, clean):
    assert validation.clean_real_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "王", "John Smith", "王小明1", "·王明", "王明·", "王··明", "王" * 31, "王<b>"])
def test_other_names_are_refused(raw):
    with pytest.raises(WithdrawalError) as caught:
        validation.clean_real_name(raw)
    assert caught.value.code == "invalid_name"
    assert caught.value.detail == {"field": "real_name"}


def test_mobiles():
    assert validation.clean_mobile("+86 138-1234-5678") == "13812345678"
    for raw in ("12345678901", "1381234567", "abc", ""):
        with pytest.raises(WithdrawalError) as caught:
            validation.clean_mobile(raw)
        assert caught.value.code == "invalid_mobile"


# --- storage --------------------------------------------------------------------------------------


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.django_db
def test_the_number_is_encrypted_at_rest_and_kept_masked(verified):
    record = KycRecord.objects.get(distributor=verified)
    raw = _raw_rows(KycRecord._meta.db_table)
    assert VALID_ID not in raw
    assert VALID_ID[:14] not in raw  # not even the region and birth date together
    assert record.id_number_masked == "1101**********1233" and record.id_last4 == "1233"
    assert record.birth_date == date(1990, 3, 7) and record.gender == "M"
    assert crypto.decrypt(record.id_number_encrypted) == VALID_ID
    assert VALID_ID not in str(record)


@pytest.mark.django_db
def test_one_id_number_backs_one_distributor_only(verified):
    other = DistributorFactory()
    with pytest.raises(WithdrawalError) as caught:
        services.submit_kyc(distributor=other, real_name="李四", id_number=VALID_ID.lower(), mobile="13700001111")
    # The answer does not say the number belongs to someone else; finance sees the conflict.
    assert caught.value.code == "identity_unverifiable" and caught.value.status == 400
    assert caught.value.detail == {}
    assert not KycRecord.objects.filter(distributor=other).exists()
    conflict = IdentityConflict.objects.get()
    assert (conflict.distributor, conflict.holder, conflict.id_number_masked) == (other, verified, "1101**********1233")
    # Once the first distributor moves to another number, the old one is free.
    services.submit_kyc(distributor=verified, real_name="王小明", id_number=OTHER_ID, mobile=verified.user.phone)
    services.submit_kyc(distributor=other, real_name="李四", id_number=VALID_ID, mobile="13700001111")
    assert KycRecord.objects.count() == 2


@pytest.mark.django_db
def test_resubmitting_updates_the_record_and_says_who_and_when(verified):
    first = KycRecord.objects.get(distributor=verified)
    operator = UserFactory()
    updated = services.submit_kyc(
        distributor=verified, real_name="王晓明", id_number=OTHER_ID, mobile="13811112222", actor=operator
    )
    assert updated.pk == first.pk and updated.revision == 2
    assert updated.updated_by == operator and updated.updated_at >= first.updated_at
    assert (updated.real_name, updated.mobile, updated.id_number_masked) == (
        "王晓明",
        "13811112222",
        "3301**********" + OTHER_ID[-4:],
    )
    assert KycRecord.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_submission_changes_nothing(verified):
    before = KycRecord.objects.get(distributor=verified)
    with pytest.raises(WithdrawalError):
        services.submit_kyc(distributor=verified, real_name="王小明", id_number=VALID_ID[:-1] + "0", mobile="13811112222")
    after = KycRecord.objects.get(distributor=verified)
    assert (after.revision, after.mobile, after.id_number_digest) == (before.revision, before.mobile, before.id_number_digest)


# --- the key --------------------------------------------------------------------------------------


def test_digests_depend_on_the_key_and_tokens_need_it():
    token = crypto.encrypt(VALID_ID)
    digest = crypto.digest(VALID_ID, purpose="id_number")
    assert digest != crypto.digest(VALID_ID, purpose="other")
    other_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    with override_settings(FENXIAO_FIELD_KEY=other_key):
        assert crypto.digest(VALID_ID, purpose="id_number") != digest
        with pytest.raises(WithdrawalError) as caught:
            crypto.decrypt(token)
        assert caught.value.code == "undecryptable"
    assert crypto.decrypt(token) == VALID_ID


def test_a_malformed_key_fails_the_system_check():
    with override_settings(FENXIAO_FIELD_KEY="not-a-key"):
        assert [e.id for e in crypto.check_field_key()] == ["withdrawals.E001"]
    assert crypto.check_field_key() == []


def test_production_settings_refuse_to_start_without_a_key(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"FENXIAO_TESTING", "DJANGO_DEBUG"}}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, FENXIAO_FIELD_KEY="", FENXIAO_VAR_DIR=str(tmp_path))
    code = "import config.settings.dev"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "FENXIAO_FIELD_KEY is not set" in result.stderr
    env["FENXIAO_FIELD_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
