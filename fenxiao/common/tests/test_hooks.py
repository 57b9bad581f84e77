import pytest
from django.core.exceptions import ImproperlyConfigured

from fenxiao.common.hooks import Hooks


def test_hooks_run_in_registration_order_with_their_arguments():
    events = Hooks("thing", events=("on_made", "on_gone"))
    heard = []
    events.register("first", on_made=lambda thing, *, why: heard.append(("first", thing, why)))
    events.register("second", on_made=lambda thing, *, why: heard.append(("second", thing, why)), on_gone=heard.append)
    events.fire("on_made", 7, why="test")
    events.fire("on_gone", 8)
    assert heard == [("first", 7, "test"), ("second", 7, "test"), 8]
    assert events.registered() == ["first", "second"]


def test_registration_is_checked_and_idempotent():
    events = Hooks("thing", events=("on_made",))
    handler = print
    events.register("app", on_made=handler)
    events.register("app", on_made=handler)  # the same again: harmless
    with pytest.raises(ImproperlyConfigured):
        events.register("app", on_made=repr)  # another callable under a taken name
    with pytest.raises(ImproperlyConfigured):
        events.register("app2", on_unknown=handler)
    with pytest.raises(ImproperlyConfigured):
        events.register("Bad Name", on_made=handler)
    with pytest.raises(ImproperlyConfigured):
        events.register("app3", on_made="not callable")
    with pytest.raises(ValueError):
        events.fire("on_unknown")
    events.unregister("app")
    assert events.registered() == []


def test_a_hook_that_raises_stops_the_sender():
    events = Hooks("thing", events=("on_made",))

    def refuse(_thing):
        raise RuntimeError("no")

    events.register("app", on_made=refuse)
    with pytest.raises(RuntimeError):
        events.fire("on_made", 1)
