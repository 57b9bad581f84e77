"""Every admin page an operator can reach renders: the changelist, the add form where adding is
allowed, and the change form of a real object."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from tests.factories import StaffFactory


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, seeded once for the module inside a transaction rolled back at its end; each
    test runs in a savepoint of its own, so what one test changes the next does not see."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", password="seed-pass-1", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            connection.close()


@pytest.fixture
def operator_client(client):
    client.force_login(StaffFactory())
    return client


def _models():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.django_db
def test_every_admin_page_renders(seeded, operator_client):
    seen = 0
    for model, _model_admin in _models():
        info = (model._meta.app_label, model._meta.model_name)
        response = operator_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, model._meta.label
        obj = model._default_manager.first()
        if obj is not None:
            response = operator_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert response.status_code == 200, model._meta.label
        seen += 1
    assert seen >= 12


@pytest.mark.django_db
def test_sku_price_and_stock_pages_go_through_services(seeded, operator_client):
    from fenxiao.catalog.models import Sku

    sku = Sku.objects.order_by("pk").first()
    url = reverse("admin:catalog_sku_prices", args=[sku.pk])
    assert operator_client.get(url).status_code == 200
    # control above the suggested retail price is refused with the service's message
    response = operator_client.post(url, {"cost": "50", "retail": "150", "suggested_retail": "150", "control": "160"})
    assert response.status_code == 200
    assert "控价" in response.content.decode()
    sku.refresh_from_db()
    assert sku.control_fen != 16000
    response = operator_client.post(url, {"cost": "50", "retail": "149.90", "suggested_retail": "150", "control": "120"})
    assert response.status_code == 302
    sku.refresh_from_db()
    assert (sku.retail_fen, sku.control_fen) == (14990, 12000)

    # the SKU page links to the inventory admin's stock page, which writes through inventory.services
    from fenxiao.inventory.models import StockMovement, StockRecord

    stock_url = reverse("admin:inventory_stockrecord_sku", args=[sku.pk])
    assert stock_url in operator_client.get(reverse("admin:catalog_sku_change", args=[sku.pk])).content.decode()
    record = StockRecord.objects.get(sku=sku, location="main")
    before = record.on_hand
    assert operator_client.get(stock_url).status_code == 200
    response = operator_client.post(stock_url, {"action": "adjust", "quantity": str(-(before + 1)), "note": ""})
    assert response.status_code == 200  # refused: would go below zero
    assert "不能低于" in response.content.decode()
    record.refresh_from_db()
    assert record.on_hand == before
    response = operator_client.post(stock_url, {"action": "receive", "quantity": "5", "note": "补货"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.on_hand == before + 5
    record_url = reverse("admin:inventory_stockrecord_adjust", args=[record.pk])
    response = operator_client.post(record_url, {"action": "adjust", "quantity": "-2", "note": "盘亏"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.on_hand == before + 3
    movement = StockMovement.objects.filter(stock_record=record).first()
    assert (movement.kind, movement.on_hand_delta, movement.note) == ("adjust", -2, "盘亏")
    assert movement.actor is not None


@pytest.mark.django_db
def test_sku_change_form_keeps_money_and_stock_read_only(seeded, operator_client):
    from fenxiao.catalog.models import Sku
    from fenxiao.inventory.models import StockRecord

    sku = Sku.objects.order_by("pk").first()
    record = StockRecord.objects.get(sku=sku)
    url = reverse("admin:catalog_sku_change", args=[sku.pk])
    response = operator_client.post(url, {"spec": "新规格", "is_active": "on", "retail_fen": "1", "stock_on_hand": "99999"})
    assert response.status_code == 302
    sku.refresh_from_db()
    assert sku.spec == "新规格"
    assert sku.retail_fen != 1
    record_url = reverse("admin:inventory_stockrecord_change", args=[record.pk])
    response = operator_client.post(record_url, {"on_hand": "99999", "reserved": "0", "safety_stock": "20"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.on_hand != 99999
    assert record.safety_stock == 20


@pytest.mark.django_db
def test_seed_demo_is_idempotent(seeded):
    from fenxiao.accounts.models import User
    from fenxiao.catalog.models import Product, Sku
    from fenxiao.distribution.models import Binding, BindingEvent, Distributor
    from fenxiao.orders.models import Order

    def counts():
        return (
            User.objects.count(),
            Distributor.objects.count(),
            Product.objects.count(),
            Sku.objects.count(),
            Binding.objects.count(),
            BindingEvent.objects.count(),
            Order.objects.count(),
        )

    first = counts()
    call_command("seed_demo", password="seed-pass-1", verbosity=0)
    assert counts() == first
    from fenxiao.demo.seed import CONVERSION_APPROVE

    # the seeded tree of 30, and the consumers the demo turned into distributors
    assert Distributor.objects.filter(status="approved").count() == 30 + CONVERSION_APPROVE
    assert Distributor.objects.filter(status="approved", user__phone__startswith="138").count() == 30
    from fenxiao.demo.seed.supply import PRODUCTS as SUPPLIER_PRODUCTS

    assert Product.objects.filter(is_on_shelf=True).count() == 20 + len(SUPPLIER_PRODUCTS)
    assert set(Distributor.objects.filter(status="approved", user__phone__startswith="138").values_list("depth", flat=True)) == {
        0,
        1,
        2,
    }
    assert Order.objects.count() >= 190
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)


@pytest.mark.django_db
def test_the_demo_books_balance(seeded):
    """The demo has settled, clawed-back and withdrawn money, and `ledger_check` passes over it."""
    from fenxiao.commissions.models import Commission
    from fenxiao.ledger.models import Transaction
    from fenxiao.withdrawals.models import Withdrawal

    call_command("ledger_check")  # exits non-zero (CommandError) on any violation
    assert Commission.objects.filter(status="settled").exists()
    assert Commission.objects.filter(clawed_back_fen__gt=0).exists()
    assert Transaction.objects.filter(kind="commission_clawback").exists()
    assert Withdrawal.objects.filter(status="paid").exists()


# --- money, rates and labels as people read them ----------------------------------------------------

KEY_LISTS = (
    "orders.order",
    "payments.payment",
    "commissions.commission",
    "withdrawals.withdrawal",
    "ledger.transaction",
    "ledger.account",
    "growth.levelrule",
)


def _page_text(html: str) -> str:
    """What a person reads on the page: no scripts, styles, tags or attribute values."""
    import html as html_lib
    import re

    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return html_lib.unescape(re.sub(r"(?s)<[^>]+>", " ", html))


def _raw_codes_and_fen(obj) -> tuple[set[str], set[int]]:
    """The status/kind codes and fen amounts of a record that must not show as such."""
    codes, amounts = set(), set()
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.name.endswith("_fen") and isinstance(value, int) and abs(value) >= 10_000:
            amounts.add(value)
        elif field.flatchoices and isinstance(value, str) and value:
            label = dict(field.flatchoices).get(value)
            if label is not None and str(label) != value:
                codes.add(value)
    if obj._meta.label == "ledger.Transaction":
        codes.add(obj.kind)
    return codes, amounts


def _raw_values_shown(text: str, obj, where: str) -> list[str]:
    """Where the page shows a raw status code or a fen amount of the record, or a unit word."""
    import re

    codes, amounts = _raw_codes_and_fen(obj)
    # a code inside a reference ("demo:failed") is data, not a status shown
    patterns = [rf"(?<![\w:-]){re.escape(code)}(?![\w:-])" for code in codes]
    patterns += [rf"(?<![\d.,]){fen}(?![\d.,])" for fen in amounts]
    patterns += ["（分）", "（基点）"]
    problems = []
    for pattern in patterns:
        found = re.search(pattern, text)
        if found:
            problems.append(f"{where}: {found.group()!r} in …{text[max(found.start() - 60, 0) : found.end() + 30]!r}")
    return problems


@pytest.mark.django_db
def test_key_lists_show_yuan_percent_and_labels(seeded, operator_client):
    from django.apps import apps

    from fenxiao.growth.models import MONEY_KINDS, LevelCondition, LevelRule
    from fenxiao.ledger.models import Transaction

    # the demo has money-threshold rules and commission postings, which the checks below must meet
    rule = LevelRule.objects.filter(conditions__kind__in=MONEY_KINDS).first()
    assert rule is not None
    accrual = Transaction.objects.filter(kind="commission_accrue").first()
    assert accrual is not None

    problems = []
    for label in KEY_LISTS:
        model = apps.get_model(label)
        info = (model._meta.app_label, model._meta.model_name)
        response = operator_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, label
        listing = _page_text(response.content.decode())
        shown = list(response.context["cl"].result_list)
        assert shown, label
        for obj in shown:
            problems += _raw_values_shown(listing, obj, f"{label} list")
        for obj in shown[:3]:
            page = operator_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert page.status_code == 200, label
            problems += _raw_values_shown(_page_text(page.content.decode()), obj, f"{label} #{obj.pk}")
    assert not problems, "\n".join(problems)

    # amounts read as yuan, rates as percent, codes as their names
    listing = _page_text(operator_client.get(reverse("admin:orders_order_changelist")).content.decode())
    assert "¥" in listing
    payment_page = operator_client.get(reverse("admin:payments_payment_changelist")).content.decode()
    assert "开发环境模拟支付" in _page_text(payment_page)
    transactions = _page_text(operator_client.get(reverse("admin:ledger_transaction_changelist")).content.decode())
    assert "预估佣金" in transactions
    rules = _page_text(operator_client.get(reverse("admin:growth_levelrule_changelist")).content.decode())
    money_condition = LevelCondition.objects.filter(rule=rule, kind__in=MONEY_KINDS).first()
    assert f"≥ ¥{money_condition.threshold // 100:,}." in rules
