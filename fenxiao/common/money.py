"""Money is integer fen; rates are integer basis points (1 bp = 0.01%).

This module holds the project's one rounding rule: an amount times a rate is rounded DOWN to the
whole fen (floor toward zero for positive amounts). Nothing else in the code base multiplies money by
a rate on its own.
"""

from __future__ import annotations

BASIS_POINTS = 10_000
MAX_RATE_BP = BASIS_POINTS


def apply_rate(amount_fen: int, rate_bp: int) -> int:
    """`amount_fen * rate_bp / 10000`, rounded down to the fen."""
    if not isinstance(amount_fen, int) or not isinstance(rate_bp, int):
        raise TypeError("money and rates are integers (fen, basis points)")
    if amount_fen < 0 or rate_bp < 0:
        raise ValueError("amount and rate must not be negative")
    return amount_fen * rate_bp // BASIS_POINTS


def prorate(amount_fen: int, part: int, whole: int) -> int:
    """`amount_fen * part / whole`, rounded down to the fen: the same rule as `apply_rate`, for a
    share given as a fraction (say, the refunded part of what was paid) instead of basis points.
    `part` must lie within 0..`whole`, so the result never exceeds `amount_fen`."""
    for value in (amount_fen, part, whole):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("money and shares are integers")
    if amount_fen < 0 or whole <= 0 or not 0 <= part <= whole:
        raise ValueError("need amount >= 0 and 0 <= part <= whole, whole > 0")
    return amount_fen * part // whole


def yuan(amount_fen: int | None, *, grouping: bool = True) -> str:
    """Display form: 1234500 → '12,345.00'; with `grouping=False` '12345.00', the form for files that
    machines read (no currency sign, no thousands separator)."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, fen = divmod(abs(int(amount_fen)), 100)
    return f"{sign}{whole:,}.{fen:02d}" if grouping else f"{sign}{whole}.{fen:02d}"


def parse_yuan(text: str) -> int:
    """'150' / '150.5' / '150.50' → fen. Refuses more than two decimals and anything not a number."""
    cleaned = str(text).strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not cleaned:
        raise ValueError("empty amount")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() and not (whole == "" and frac):
        raise ValueError(f"not an amount: {text!r}")
    if frac and (not frac.isdigit() or len(frac) > 2):
        raise ValueError(f"at most two decimals: {text!r}")
    fen = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -fen if negative else fen


def format_rate(rate_bp: int) -> str:
    """1550 → '15.5%'."""
    whole, rest = divmod(int(rate_bp), 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def allocate(total_fen: int, weights: list[int]) -> list[int]:
    """Split `total_fen` across parts in proportion to `weights`, each share rounded down to the fen,
    the leftover fen going one each to the parts with the largest remainders (ties: earlier part).
    The shares always add up to `total_fen` exactly; used to spread an order discount over lines."""
    if total_fen < 0 or any(w < 0 for w in weights):
        raise ValueError("amounts and weights must not be negative")
    whole = sum(weights)
    if not weights:
        return []
    if whole == 0:
        raise ValueError("cannot allocate over zero weights")
    shares = [total_fen * w // whole for w in weights]
    remainders = [(total_fen * w % whole, -i) for i, w in enumerate(weights)]
    leftover = total_fen - sum(shares)
    for _rem, neg_index in sorted(remainders, reverse=True)[:leftover]:
        shares[-neg_index] += 1
    return shares
