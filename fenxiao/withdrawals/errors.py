from enum import StrEnum

from fenxiao.common.errors import DomainError


class WithdrawalCode(StrEnum):
    """Every code a WithdrawalError may carry."""

    BATCH_NOT_APPROVED = "batch_not_approved"
    BATCH_NOT_EXPORTED = "batch_not_exported"
    BATCH_NOT_FOUND = "batch_not_found"
    BELOW_MINIMUM = "below_minimum"
    CHANNEL_DISABLED = "channel_disabled"
    DAILY_CAP_EXCEEDED = "daily_cap_exceeded"
    DEBT_OUTSTANDING = "debt_outstanding"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDENTITY_UNVERIFIABLE = "identity_unverifiable"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVALID_ALIPAY_ACCOUNT = "invalid_alipay_account"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_BANK_CARD = "invalid_bank_card"
    INVALID_BANK_NAME = "invalid_bank_name"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_FILE = "invalid_file"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_MOBILE = "invalid_mobile"
    INVALID_NAME = "invalid_name"
    INVALID_OPENID = "invalid_openid"
    INVALID_RESULT = "invalid_result"
    INVALID_SETTING = "invalid_setting"
    INVALID_TRANSITION = "invalid_transition"
    KYC_REQUIRED = "kyc_required"
    NOTHING_TO_PAY = "nothing_to_pay"
    NOT_DISTRIBUTOR = "not_distributor"
    NOT_IN_BATCH = "not_in_batch"
    NOT_WECHAT_TRANSFER = "not_wechat_transfer"
    REASON_REQUIRED = "reason_required"
    TRANSFER_FINISHED = "transfer_finished"
    TRANSFER_NOT_CONFIRMABLE = "transfer_not_confirmable"
    TRANSFER_OTHER_APP = "transfer_other_app"
    TRANSFER_UNAVAILABLE = "transfer_unavailable"
    UNDECRYPTABLE = "undecryptable"
    WITHDRAWAL_NOT_FOUND = "withdrawal_not_found"


class WithdrawalError(DomainError):
    codes = WithdrawalCode
