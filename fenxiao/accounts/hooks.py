"""Who is told about new member accounts, without accounts knowing who listens. An app that cares
registers its callables once, in its AppConfig.ready() (see `fenxiao.common.hooks`):

    hooks.register("promotions", on_registered=…)

- `on_registered(user)`: a member (consumer) account has just been created — phone sign-up, or a first
  sign-in with WeChat (Official Account or mini-program) that made a new account; fired inside the
  creating transaction, right after the user row is saved. Staff accounts (createsuperuser, the admin)
  are not members and fire nothing.
"""

from __future__ import annotations

from fenxiao.common.hooks import Hooks

account_events = Hooks("account", events=("on_registered",))

register = account_events.register
unregister = account_events.unregister
registered = account_events.registered


def member_registered(user) -> None:
    account_events.fire("on_registered", user)
