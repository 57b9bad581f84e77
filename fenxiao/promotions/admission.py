"""Flash sale admission (秒杀) before the database.

With `settings.REDIS_URL` set, one Lua script decides in one round trip whether a buyer may go on to
place an order: it checks the item's stock counter and the buyer's count against the per-person
limit, and takes the buyer's token (counter − n, buyer + n). Buyers refused here (sold out, limit
reached) are answered without a single database query. A buyer let through places the order in the
database, which checks everything again under the item's lock (the database is the truth; Redis only
filters); when that fails the token is handed back.

Keys per item (`FENXIAO_FLASH_REDIS_PREFIX`, then the item id in braces so that a cluster keeps them
together): `stock` (units left to admit), `users` (hash: user id → units taken), `meta` (window,
operator's switch, limits) and `version` (raised at every rebuild, so that a token taken before a
rebuild is not handed back into the rebuilt counters).

`prime` writes an item's keys from the database (the stock job calls it once the units are moved in);
`reconcile_flash_admission` (every minute) rebuilds a running item whose keys are missing (Redis
restarted) or disagree with the database. Without Redis, or when Redis does not answer, `admit`
returns None and the caller admits through the database alone.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.inventory.models import StockRecord

from .errors import PromotionCode, PromotionError
from .models import ActivityKind, ActivityOrder, FlashItem, FlashSale, RunStatus, flash_location

logger = logging.getLogger(__name__)

# Down, timed out, loading, out of memory…: the database decides (ConnectionError and TimeoutError included).
REDIS_ERRORS = (redis.exceptions.RedisError,)
SOCKET_TIMEOUT = 0.5  # seconds: a Redis that does not answer sends the buyer to the database path
KEEP_AFTER_END = timedelta(hours=6)  # keys expire this long after the sale's end
COUNTED_STATES = (ActivityOrder.State.PLACED, ActivityOrder.State.PAID)

# KEYS: stock, users, version, meta. ARGV: user id, quantity, now (ms).
# Returns {outcome, version, a, b}: ok (a = left, b = the buyer's units), sold_out (a = left),
# limit_reached (a = limit, b = the buyer's units), order_limit (a = limit), closed (outside the
# window, paused or ended: the database answers), missing (not primed: the database answers).
ADMIT = """
local stock = redis.call('GET', KEYS[1])
local meta = redis.call('HMGET', KEYS[4], 'starts', 'ends', 'status', 'per_person', 'per_order')
if (not stock) or (not meta[1]) then return {'missing', '0', 0, 0} end
local version = redis.call('GET', KEYS[3]) or '0'
local now = tonumber(ARGV[3])
if meta[3] ~= 'active' or now < tonumber(meta[1]) or now >= tonumber(meta[2]) then
  return {'closed', version, 0, 0}
end
local qty = tonumber(ARGV[2])
if qty > tonumber(meta[5]) then return {'order_limit', version, tonumber(meta[5]), 0} end
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if had + qty > tonumber(meta[4]) then return {'limit_reached', version, tonumber(meta[4]), had} end
local left = tonumber(stock)
if left < qty then return {'sold_out', version, left, had} end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HINCRBY', KEYS[2], ARGV[1], qty)
return {'ok', version, left - qty, had + qty}
"""

# KEYS: stock, users, version. ARGV: user id, quantity, version ('' = any). Gives units back.
GIVE_BACK = """
if ARGV[3] ~= '' and (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3] then return 0 end
if not redis.call('GET', KEYS[1]) then return 0 end
local qty = tonumber(ARGV[2])
redis.call('INCRBY', KEYS[1], qty)
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -qty)
if left <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
"""

# KEYS: stock, users, version, meta. ARGV: stock, ttl (s), starts, ends, status, per_person,
# per_order, then user id, units pairs. Replaces everything at once and raises the version.
REBUILD = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
for i = 8, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[4], 'starts', ARGV[3], 'ends', ARGV[4], 'status', ARGV[5], 'per_person', ARGV[6], 'per_order', ARGV[7])
local version = redis.call('INCR', KEYS[3])
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2])) end
return version
"""


@dataclass(frozen=True)
class Ticket:
    """A buyer's token taken in Redis: handed back when the order is not placed."""

    item_id: int
    user_id: int
    quantity: int
    version: str


class _Redis:
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, decode_responses=True
        )
        self.admit = self.client.register_script(ADMIT)
        self.give_back = self.client.register_script(GIVE_BACK)
        self.rebuild = self.client.register_script(REBUILD)


_clients: dict[str, _Redis] = {}
_clients_lock = threading.Lock()


def _redis() -> _Redis | None:
    url = (getattr(settings, "REDIS_URL", "") or "").strip()
    if not url:
        return None
    found = _clients.get(url)
    if found is None:
        with _clients_lock:
            found = _clients.setdefault(url, _Redis(url))
    return found


def enabled() -> bool:
    return _redis() is not None


def keys(item_id: int) -> list[str]:
    """stock, users, version, meta of an item."""
    base = f"{settings.FENXIAO_FLASH_REDIS_PREFIX}{{{item_id}}}"
    return [f"{base}:stock", f"{base}:users", f"{base}:version", f"{base}:meta"]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _down(what: str, exc: Exception) -> None:
    logger.warning("flash admission: Redis unavailable while %s (%s); the database decides", what, exc)


# --- admitting ---------------------------------------------------------------------------------------


def admit(*, item_id: int, user_id: int, quantity: int, now: datetime | None = None) -> Ticket | None:
    """Take the buyer's token for `quantity` units. Returns the ticket, or None when the database must
    decide alone (no Redis, Redis down, item not primed, sale outside its window or not active).
    Raises activity_sold_out / activity_limit_reached (409) without touching the database."""
    conn = _redis()
    if conn is None:
        return None
    now = now or timezone.now()
    try:
        outcome, version, a, b = conn.admit(keys=keys(item_id), args=[user_id, quantity, _ms(now)])
    except REDIS_ERRORS as exc:
        _down("admitting", exc)
        return None
    if outcome == "ok":
        return Ticket(item_id=item_id, user_id=user_id, quantity=quantity, version=str(version))
    if outcome == "sold_out":
        raise sold_out(item_id, left=int(a))
    if outcome == "limit_reached":
        raise person_limit(item_id, limit=int(a), bought=int(b), quantity=quantity)
    if outcome == "order_limit":
        raise order_limit(item_id, limit=int(a), quantity=quantity)
    return None  # missing or closed


def give_back(ticket: Ticket) -> None:
    """The order was not placed: return the token (unless the counters were rebuilt meanwhile)."""
    _give(ticket.item_id, ticket.user_id, ticket.quantity, ticket.version)


def release(*, item_id: int, user_id: int, quantity: int) -> None:
    """A placed order ended unpaid: its units and the buyer's count come back."""
    _give(item_id, user_id, quantity, "")


def _give(item_id: int, user_id: int, quantity: int, version: str) -> None:
    conn = _redis()
    if conn is None:
        return
    try:
        conn.give_back(keys=keys(item_id)[:3], args=[user_id, quantity, version])
    except REDIS_ERRORS as exc:
        _down("giving a token back", exc)


# --- the refusals (shared with the database path) ----------------------------------------------------


def sold_out(item_id: int, *, left: int = 0) -> PromotionError:
    return PromotionError(
        PromotionCode.ACTIVITY_SOLD_OUT, gettext("已抢光"), {"item_id": item_id, "remaining": max(left, 0)}, status=409
    )


def person_limit(item_id: int, *, limit: int, bought: int, quantity: int) -> PromotionError:
    return PromotionError(
        PromotionCode.ACTIVITY_LIMIT_REACHED,
        gettext("每人限购 %(limit)s 件，您已抢购 %(bought)s 件") % {"limit": limit, "bought": bought},
        {"item_id": item_id, "per_person_limit": limit, "bought": bought, "quantity": quantity},
        status=409,
    )


def order_limit(item_id: int, *, limit: int, quantity: int) -> PromotionError:
    return PromotionError(
        PromotionCode.ACTIVITY_LIMIT_REACHED,
        gettext("每单限购 %(limit)s 件") % {"limit": limit},
        {"item_id": item_id, "per_order_limit": limit, "quantity": quantity},
        status=409,
    )


# --- the counters from the database ------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """What Redis should hold for an item, read from the database."""

    item_id: int
    stock: int
    users: dict[str, int]
    meta: dict[str, str]
    ttl: int


def db_states(items: list[FlashItem], now: datetime) -> list[ItemState]:
    """Free units at each item's flash location and each buyer's units in placed or paid orders
    (three queries whatever the number of items)."""
    if not items:
        return []
    locations = {flash_location(item.pk): item for item in items}
    free = {
        location: available
        for location, available in StockRecord.objects.filter(location__in=list(locations))
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("location", "free")
    }
    bought: dict[int, dict[str, int]] = {item.pk: {} for item in items}
    rows = (
        ActivityOrder.objects.filter(kind=ActivityKind.FLASH, item_id__in=[i.pk for i in items], state__in=COUNTED_STATES)
        .values("item_id", "user_id")
        .annotate(units=Sum("quantity"))
    )
    for row in rows:
        bought[row["item_id"]][str(row["user_id"])] = int(row["units"])
    states = []
    for location, item in locations.items():
        sale = item.sale
        ttl = max(int((sale.ends_at + KEEP_AFTER_END - now).total_seconds()), 60)
        meta = {
            "starts": str(_ms(sale.starts_at)),
            "ends": str(_ms(sale.ends_at)),
            "status": sale.status,
            "per_person": str(item.per_person_limit),
            "per_order": str(item.per_order_limit),
        }
        states.append(ItemState(item.pk, max(int(free.get(location, 0)), 0), bought[item.pk], meta, ttl))
    return states


def _rebuild(conn: _Redis, state: ItemState) -> None:
    args: list = [state.stock, state.ttl, *(state.meta[k] for k in ("starts", "ends", "status", "per_person", "per_order"))]
    for user, units in sorted(state.users.items()):
        args += [user, units]
    conn.rebuild(keys=keys(state.item_id), args=args)


def prime(item_ids: list[int], now: datetime | None = None) -> int:
    """Write the items' keys from the database (the stock job, once their units have moved in).
    Returns how many were written; 0 without Redis or when it does not answer."""
    conn = _redis()
    if conn is None or not item_ids:
        return 0
    now = now or timezone.now()
    items = list(FlashItem.objects.select_related("sale").filter(pk__in=item_ids).order_by("pk"))
    try:
        for state in db_states(items, now):
            _rebuild(conn, state)
    except REDIS_ERRORS as exc:
        _down("priming", exc)
        return 0
    return len(items)


def forget(item_ids: list[int]) -> None:
    """The sale is over: drop its items' keys."""
    conn = _redis()
    if conn is None or not item_ids:
        return
    try:
        conn.client.delete(*[key for item_id in item_ids for key in keys(item_id)])
    except REDIS_ERRORS as exc:
        _down("forgetting a sale", exc)


def _live_items(now: datetime, item_ids: list[int] | None = None) -> list[FlashItem]:
    """Items whose sale has its units moved in and has not ended (paused ones too: their meta says so)."""
    qs = FlashItem.objects.select_related("sale").filter(
        sale__stock_moved_at__isnull=False,
        sale__stock_returned_at__isnull=True,
        sale__ends_at__gt=now,
        sale__status__in=[RunStatus.ACTIVE, RunStatus.PAUSED],
    )
    if item_ids is not None:
        qs = qs.filter(pk__in=item_ids)
    return list(qs.order_by("pk"))


def reconcile_flash_admission(now: datetime | None = None, *, item_ids: list[int] | None = None) -> dict[str, int]:
    """Every minute: each running item's counters in Redis against the database; an item whose keys
    are missing (Redis restarted) or whose stock counter, buyers' counts or meta differ is rebuilt.
    Orders in flight may make an item differ for a moment; rebuilding it then only lets a few more
    buyers through to the database, which still refuses what it cannot sell."""
    conn = _redis()
    if conn is None:
        return {"flash_admission_rebuilt": 0}
    now = now or timezone.now()
    states = db_states(_live_items(now, item_ids), now)
    rebuilt = 0
    try:
        pipe = conn.client.pipeline(transaction=False)
        for state in states:
            stock, users, _version, meta = keys(state.item_id)
            pipe.get(stock)
            pipe.hgetall(users)
            pipe.hgetall(meta)
        answers = pipe.execute() if states else []
        for index, state in enumerate(states):
            stock, users, meta = answers[3 * index : 3 * index + 3]
            if (
                stock is not None
                and int(stock) == state.stock
                and users == {k: str(v) for k, v in state.users.items()}
                and meta == state.meta
            ):
                continue
            _rebuild(conn, state)
            rebuilt += 1
    except REDIS_ERRORS as exc:
        _down("reconciling", exc)
    return {"flash_admission_rebuilt": rebuilt}


def sale_items(sale: FlashSale) -> list[int]:
    return list(FlashItem.objects.filter(sale_id=sale.pk).order_by("pk").values_list("pk", flat=True))
