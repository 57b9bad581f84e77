from django.contrib.auth.backends import ModelBackend

from fenxiao.common.phone import normalize_phone

from .models import User


class PhoneOrUsernameBackend(ModelBackend):
    """Members log in with their phone number, operators with their username; same password check."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username or kwargs.get("phone")
        if not username or password is None:
            return None
        phone = normalize_phone(username)
        user = User.objects.filter(phone=phone).first() or User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work either way, so timing does not reveal accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
