"""Writes of the promotions app, one module per concern:

- `usage`: a held coupon taken by an order, used when it is paid, given back when it ends.
- `coupons`: claiming, issuing and revoking coupons (coupon centre, operator issue, newcomer pack).
- `rules`: creating, pausing and ending promotions, with the overlap checks.
"""
