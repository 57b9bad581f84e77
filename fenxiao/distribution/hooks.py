"""Who is told about the distributor network, without distribution knowing who listens. An app that
cares registers its callables once, in its AppConfig.ready() (see `fenxiao.common.hooks`):

    hooks.register("growth", on_applied=…, on_approved=…, on_shop_moderated=…)

- `on_applied(distributor)`: a user has just applied to become a distributor (for the first time, or
  again after a rejection); fired inside the applying transaction, after the distributor row is saved
  and before `on_approved` when admission is open.
- `on_approved(distributor)`: a distributor has just become APPROVED (admitted, reviewed, threshold
  reached or reinstated), inside the transaction that approves it.
- `on_shop_moderated(shop, fields, reason)`: the operator reset fields of a distributor's shop that
  broke the rules ("name", "welcome", "avatar"), for the reason given, inside the resetting transaction.
"""

from __future__ import annotations

from fenxiao.common.hooks import Hooks

distributor_events = Hooks("distributor", events=("on_applied", "on_approved", "on_shop_moderated"))

register = distributor_events.register
unregister = distributor_events.unregister
registered = distributor_events.registered


def applied(distributor) -> None:
    distributor_events.fire("on_applied", distributor)


def approved(distributor) -> None:
    distributor_events.fire("on_approved", distributor)


def shop_moderated(shop, *, fields, reason: str) -> None:
    distributor_events.fire("on_shop_moderated", shop, fields=fields, reason=reason)
