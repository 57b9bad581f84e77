from ninja import Field, Schema

from fenxiao.common.validation import InputSchema


class WeChatMiniProgramLoginIn(InputSchema):
    code: str = Field(..., min_length=1, max_length=128, description="小程序 wx.login() 返回的 code（5 分钟内有效，只能用一次）")


class WeChatMiniProgramLoginOut(Schema):
    token: str = Field(..., description="Bearer 令牌，用于之后的每个请求")
    user_id: int
    created: bool = Field(..., description="是否为这个微信用户新建了账号")
