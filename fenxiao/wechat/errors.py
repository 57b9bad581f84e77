from enum import StrEnum

from fenxiao.common.errors import DomainError


class WeChatCode(StrEnum):
    """Every code a WeChatError may carry."""

    NOT_CONFIGURED = "wechat_not_configured"
    INVALID_CODE = "wechat_invalid_code"
    CODE_USED = "wechat_code_used"
    TOKEN_EXPIRED = "wechat_token_expired"
    SCOPE_DENIED = "wechat_scope_denied"
    PROVIDER_ERROR = "wechat_provider_error"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    STATE_MISMATCH = "wechat_state_mismatch"
    ALREADY_BOUND = "wechat_already_bound"
    ACCOUNT_DISABLED = "wechat_account_disabled"
    SNAPSHOT_USER = "wechat_snapshot_user"


class WeChatError(DomainError):
    codes = WeChatCode
