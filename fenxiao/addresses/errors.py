from enum import StrEnum

from fenxiao.common.errors import DomainError


class AddressCode(StrEnum):
    """Every code an AddressError may carry."""

    ADDRESS_LIMIT = "address_limit"
    ADDRESS_NOT_FOUND = "address_not_found"
    INVALID_ADDRESS = "invalid_address"
    INVALID_PHONE = "invalid_phone"
    INVALID_REGION = "invalid_region"


class AddressError(DomainError):
    codes = AddressCode
