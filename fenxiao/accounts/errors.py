from fenxiao.common.errors import DomainError


class AccountError(DomainError):
    """Errors of sign-up, login and profiles. Codes: invalid_phone, weak_password, invalid_credentials,
    wrong_password (own password change), inactive_user, invalid_nickname; phone_taken only from
    `register_member` for internal callers (the public sign-up answers alike for every phone).
    Too many attempts raise `fenxiao.common.ratelimit.Throttled` (429 `throttled`)."""
