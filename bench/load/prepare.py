"""Load-run fixture, executed by `manage.py shell` against the load database after seed_demo: buyers
with API tokens, the share codes, products and SKUs to ask for, and stock enough for the whole run.
Writes JSON to the path in LOAD_FIXTURE."""

import json
import os

from fenxiao.accounts.models import User
from fenxiao.accounts.services import issue_token
from fenxiao.catalog.models import Sku
from fenxiao.distribution.models import Distributor
from fenxiao.distribution.services import bind_customer
from fenxiao.inventory.services import receive_stock

distributors = list(Distributor.objects.filter(status=Distributor.Status.APPROVED).order_by("id")[:20])
skus = list(Sku.objects.filter(product__is_on_shelf=True, retail_fen__gt=0).select_related("product").order_by("id")[:12])
for sku in skus:
    receive_stock(sku_id=sku.pk, quantity=1_000_000, note="load run")
buyers = []
for i in range(int(os.environ.get("LOAD_BUYERS", "200"))):
    phone = f"1990{i:07d}"
    user, _ = User.objects.get_or_create(phone=phone, defaults={"username": f"m{phone}", "nickname": f"压测{i}"})
    if distributors:
        bind_customer(customer=user, distributor=distributors[i % len(distributors)])
    buyers.append(issue_token(user=user))
fixture = {
    "codes": [d.code for d in distributors],
    "products": sorted({sku.product_id for sku in skus}),
    "skus": [sku.pk for sku in skus],
    "tokens": buyers,
}
with open(os.environ["LOAD_FIXTURE"], "w", encoding="utf-8") as fh:
    json.dump(fixture, fh)
print(f"fixture: {len(fixture['codes'])} share codes, {len(fixture['skus'])} SKUs, {len(buyers)} buyers")
