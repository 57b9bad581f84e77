"""A coupon as an operator would define it, for the coupon tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from fenxiao.promotions.models import Coupon


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    name = factory.Sequence(lambda n: f"满减券{n}")
    kind = "amount"
    amount_fen = 2000
    threshold_fen = 10000
    validity = "dates"
    valid_from = None
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    total_quantity = 100
    per_person_limit = 1
