"""Who a WeChat account signs in as: its bound user, the logged-in user, the user of the same unionid,
or a new consumer account."""

import pytest

from fenxiao.accounts.models import User
from fenxiao.wechat import selectors, services
from fenxiao.wechat.errors import WeChatCode, WeChatError
from fenxiao.wechat.models import WeChatIdentity
from tests.factories import UserFactory

from .conftest import new_person

pytestmark = pytest.mark.django_db


def oa_sign_in(fake, person, user=None, scope="snsapi_base"):
    result, grant = services.sign_in_with_oa_code(code=fake.issue_code(person, scope=scope), current_user=user)
    return result, grant


def test_a_new_wechat_user_gets_a_consumer_account(fake_wechat):
    person = new_person()
    result, _grant = oa_sign_in(fake_wechat, person)
    user = User.objects.get(pk=result.user.pk)
    assert result.created
    assert user.username == f"wx_{person.openid}"
    assert user.phone is None and not user.has_usable_password() and not user.is_staff
    assert user.nickname.endswith(person.openid[-4:])
    identity = WeChatIdentity.objects.get(user=user)
    assert (identity.kind, identity.appid, identity.openid) == ("oa", fake_wechat.appid, person.openid)
    assert selectors.oa_openid(user) == person.openid


def test_the_same_openid_signs_in_as_the_same_user(fake_wechat):
    person = new_person()
    first, _ = oa_sign_in(fake_wechat, person)
    again, _ = oa_sign_in(fake_wechat, person)
    assert again.user.pk == first.user.pk and not again.created
    assert WeChatIdentity.objects.filter(openid=person.openid).count() == 1


def test_a_logged_in_user_binds_their_wechat(fake_wechat):
    member = UserFactory()
    assert selectors.oa_openid(member) == ""
    person = new_person()
    result, _ = oa_sign_in(fake_wechat, person, user=member)
    assert result.user.pk == member.pk and not result.created
    assert selectors.oa_openid(member) == person.openid
    assert User.objects.filter(username__startswith="wx_").count() == 0


def test_a_wechat_bound_to_someone_else_is_refused_to_a_logged_in_user(fake_wechat):
    person = new_person()
    owner, _ = oa_sign_in(fake_wechat, person)
    with pytest.raises(WeChatError) as caught:
        oa_sign_in(fake_wechat, person, user=UserFactory())
    assert caught.value.code == WeChatCode.ALREADY_BOUND
    assert WeChatIdentity.objects.get(openid=person.openid).user_id == owner.user.pk


def test_the_same_unionid_is_the_same_person_across_apps(fake_wechat, rf):
    person = new_person(unionid=True)
    mini = services.sign_in_with_mp_code(request=rf.post("/"), code=fake_wechat.issue_code(person, appid=fake_wechat.mp_appid))
    assert mini.created
    # the Official Account knows the same person under another openid, with the same unionid
    oa_person = new_person()
    oa_person.unionid = person.unionid
    result, _ = oa_sign_in(fake_wechat, oa_person)
    assert result.user.pk == mini.user.pk and not result.created
    kinds = set(WeChatIdentity.objects.filter(user=mini.user).values_list("kind", flat=True))
    assert kinds == {"oa", "mp"}
    assert selectors.oa_openid(mini.user) == oa_person.openid
    assert selectors.mp_openid(mini.user) == person.openid


def test_an_inactive_account_does_not_sign_in(fake_wechat):
    person = new_person()
    result, _ = oa_sign_in(fake_wechat, person)
    User.objects.filter(pk=result.user.pk).update(is_active=False)
    with pytest.raises(WeChatError) as caught:
        oa_sign_in(fake_wechat, person)
    assert caught.value.code == WeChatCode.ACCOUNT_DISABLED


def test_nickname_and_avatar_after_userinfo(fake_wechat):
    person = new_person(nickname="王小明🌟", unionid=True)
    person.headimgurl = "https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132"
    result, grant = oa_sign_in(fake_wechat, person, scope="snsapi_userinfo")
    services.store_profile(identity=result.identity, grant=grant)
    identity = WeChatIdentity.objects.get(pk=result.identity.pk)
    assert (identity.nickname, identity.avatar_url) == ("王小明🌟", person.headimgurl)
    assert User.objects.get(pk=result.user.pk).nickname == "王小明🌟"


def test_a_base_grant_cannot_read_the_profile(fake_wechat):
    result, grant = oa_sign_in(fake_wechat, new_person())
    with pytest.raises(WeChatError) as caught:
        services.store_profile(identity=result.identity, grant=grant)
    assert caught.value.code == WeChatCode.SCOPE_DENIED


def test_an_avatar_that_is_not_a_web_address_is_not_kept(fake_wechat):
    person = new_person(nickname="阿强")
    person.headimgurl = "javascript:alert(1)"
    result, grant = oa_sign_in(fake_wechat, person, scope="snsapi_userinfo")
    services.store_profile(identity=result.identity, grant=grant)
    assert WeChatIdentity.objects.get(pk=result.identity.pk).avatar_url == ""


def test_the_openid_belongs_to_the_configured_app(fake_wechat, settings):
    person = new_person()
    result, _ = oa_sign_in(fake_wechat, person)
    settings.FENXIAO_WECHAT_APPID = "wx0000000000000000"  # another Official Account: its openids differ
    assert selectors.oa_openid(result.user) == ""
    settings.FENXIAO_WECHAT_PROVIDER = ""
    assert selectors.oa_openid(result.user) == ""
