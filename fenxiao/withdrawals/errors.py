from fenxiao.common.errors import DomainError


class WithdrawalError(DomainError):
    """Codes: not_distributor, kyc_required, invalid_name, invalid_id_number, invalid_mobile,
    identity_unverifiable, own_object (from common.duties), invalid_channel, channel_disabled, invalid_amount, below_minimum,
    insufficient_balance, debt_outstanding, daily_cap_exceeded, invalid_bank_card, invalid_bank_name,
    invalid_alipay_account, invalid_openid, invalid_idempotency_key, idempotency_conflict,
    withdrawal_not_found, invalid_transition, reason_required, invalid_setting, batch_not_found,
    nothing_to_pay, batch_not_exported, invalid_file, undecryptable."""
