from ninja import Router

from fenxiao.accounts.services import issue_token
from fenxiao.common.api_contract import rate_limited

from . import services
from .schemas import WeChatMiniProgramLoginIn, WeChatMiniProgramLoginOut

router = Router(tags=["微信 wechat"])


@router.post(
    "/miniprogram",
    response=WeChatMiniProgramLoginOut,
    auth=None,
    summary="小程序登录：code 换取令牌",
    description=(
        "用 wx.login() 的 code 登录。openid 已绑定的用户直接登录；否则 unionid 相同的用户登录；"
        "否则新建一个消费者账号。按客户端地址限制频率。"
    ),
)
@rate_limited
def miniprogram_login(request, payload: WeChatMiniProgramLoginIn):
    result = services.sign_in_with_mp_code(request=request, code=payload.code)
    token = issue_token(user=result.user, app_id=result.identity.appid)
    return {"token": token, "user_id": result.user.pk, "created": result.created}
