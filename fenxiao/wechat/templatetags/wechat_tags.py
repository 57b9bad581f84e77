from django import template

from fenxiao.wechat import client, selectors
from fenxiao.wechat.middleware import in_wechat

register = template.Library()


@register.simple_tag(takes_context=True)
def wechat_state(context) -> dict:
    """For the "我的" page: whether WeChat sign-in is on, whether the page is open in WeChat, and the
    user's Official Account identity."""
    request = context.get("request")
    if request is None or client.oa_app() is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "in_wechat": in_wechat(request) or client.provider() == "dev",
        "identity": selectors.identity(request.user, client.OA),
    }
