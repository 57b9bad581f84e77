"""Mainland mobile numbers: what is accepted, how it is normalised, what others see of it."""

import pytest

from fenxiao.common.phone import is_mainland_mobile, mask_name, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+8613800138000", "+86 138 0013 8000", "008613800138000", "138-0013-8000", " 19912345678 "],
)
def test_valid_mobile_numbers(raw):
    assert is_mainland_mobile(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "12800138000",  # no 12x segment
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "23800138000",
        "1380013800a",
        "+8513800138000",
        "",
        None,
        "１３８００１３８０００",  # full-width digits: not an ASCII number
        "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
        "13８００１３８０００",  # ASCII prefix, full-width rest: would be a second account for the same number
        "138001380٠٠",  # ASCII prefix, Arabic-Indic tail
        "13800138000\u0660",
    ],
)
def test_invalid_mobile_numbers(raw):
    assert not is_mainland_mobile(raw)


def test_normalize_strips_prefix_and_separators():
    assert normalize_phone("+86 (138) 0013-8000") == "13800138000"
    assert normalize_phone("0086 13800138000") == "13800138000"
    assert normalize_phone(None) == ""


@pytest.mark.parametrize(
    ("raw", "masked"),
    [("13812341234", "138****1234"), ("+86 138 1234 1234", "138****1234"), ("", ""), (None, ""), ("12345", "*****")],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_masked_phone_never_shows_the_middle_digits():
    masked = mask_phone("13812345678")
    assert "2345" not in masked
    assert len(masked) == 11


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("欧阳娜娜", "欧***"), ("王", "王"), ("", ""), (None, "")])
def test_mask_name(name, masked):
    assert mask_name(name) == masked
