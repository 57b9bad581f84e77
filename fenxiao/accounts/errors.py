from fenxiao.common.errors import DomainError


class AccountError(DomainError):
    """Errors of sign-up, login and profiles. Codes: invalid_phone, phone_taken, weak_password,
    invalid_credentials, inactive_user, invalid_nickname."""
