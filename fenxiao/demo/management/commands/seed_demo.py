"""Load the demo data: staff, the three seed levels, a three-deep tree of 30 distributors, 20
products in four categories with the seed prices, consumers bound to distributors, about
200 orders, withdrawals, upgrade rules, invitations and leaderboard prizes, member tiers and points, and a
running campaign with its coupons, 满减送 and timed discount; today's flash sales, a group buy and a bargain;
two suppliers who dropship (their products, batches, orders in every shipment state, statements) and
one waiting for review, sample quotas and requests.

Idempotent: everything is looked up by a natural key (phone, code, SKU code) before it is made, so
running it again changes nothing. Writes go through the services, like any other client; the pieces
are in `fenxiao.demo.seed`.
"""

import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from fenxiao.accounts import services as accounts
from fenxiao.catalog.models import Product
from fenxiao.demo.seed import (
    CAMPAIGN_NAME,
    DEMO_CONSUMER_PHONE,
    DEMO_DISTRIBUTOR_PHONE,
    make_demo_activities,
    make_demo_applications,
    make_demo_catalog,
    make_demo_consumers,
    make_demo_distributors,
    make_demo_growth,
    make_demo_levels,
    make_demo_promotions,
    make_demo_shopping,
    make_demo_staff,
    make_demo_withdrawals,
)
from fenxiao.demo.seed.activities import BARGAIN_NAME, GROUP_NAME
from fenxiao.demo.seed.supply import demo_supplier_logins, make_demo_suppliers, make_demo_supply
from fenxiao.distribution import services as distribution
from fenxiao.distribution.models import DistributionSettings, Distributor
from fenxiao.orders.models import Order
from fenxiao.promotions.models import BargainActivity, Campaign, GroupBuy


class Command(BaseCommand):
    help = "载入演示数据（可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("--password", default=None, help="演示账号密码（默认读取 FENXIAO_DEMO_PASSWORD）")

    def handle(self, *args, password=None, **options):
        password = password or os.environ.get("FENXIAO_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        with transaction.atomic():
            accounts.ensure_staff_groups()
            staff = make_demo_staff(password)
            make_demo_levels()
            make_demo_catalog()
            tree = make_demo_distributors(password)
            consumers = make_demo_consumers(password, tree)
            make_demo_suppliers(password)
            distribution.update_settings(actor=staff, admission_mode=DistributionSettings.Admission.REVIEW, commission_levels=2)
            make_demo_applications(password, tree)
            orders_made = make_demo_shopping(consumers=consumers, tree=tree, operator=staff)
        make_demo_withdrawals()
        make_demo_growth()  # after the orders: it invites their buyers and closes last month's boards
        make_demo_promotions()  # after the growth: its approvals predate the starter pack
        make_demo_activities()  # flash sales, a group buy with an open group, a bargain half-way
        make_demo_supply(password)  # after the shopping: its random orders ship from the platform only
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪：{Distributor.objects.filter(status='approved').count()} 个分销商，"
                f"{Product.objects.count()} 个商品，{len(consumers)} 个消费者，"
                f"{Order.objects.count()} 个订单（本次新建 {orders_made} 个）"
            )
        )
        demo = Distributor.objects.get(user__phone=DEMO_DISTRIBUTOR_PHONE)
        campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
        group_buy = GroupBuy.objects.filter(name=GROUP_NAME).first()
        bargain = BargainActivity.objects.filter(name=BARGAIN_NAME).first()
        self.stdout.write(
            "\n".join(
                [
                    "演示账号（密码相同）：",
                    f"  运营后台  admin / {password}（另有 ops、finance、service、supply 四个分权账号）",
                    f"  分销商    {DEMO_DISTRIBUTOR_PHONE} / {password}（邀请码 {demo.code}）",
                    f"  消费者    {DEMO_CONSUMER_PHONE} / {password}",
                    *[
                        f"  供应商    {phone} / {password}（{name}，{settings.SITE_URL}/supplier/）"
                        for phone, name in demo_supplier_logins()
                    ],
                    f"  分享链接  {settings.SITE_URL}/s/{demo.code}",
                    *([f"  大促活动  {settings.SITE_URL}/campaigns/{campaign.pk}/"] if campaign else []),
                    f"  领券中心  {settings.SITE_URL}/coupons/centre/",
                    f"  限时秒杀  {settings.SITE_URL}/flash/（分享 {settings.SITE_URL}/s/{demo.code}/f/<场次>）",
                    *([f"  拼团      {settings.SITE_URL}/groups/{group_buy.pk}/"] if group_buy else []),
                    *([f"  砍价      {settings.SITE_URL}/bargains/{bargain.pk}/"] if bargain else []),
                    f"  会员中心  {settings.SITE_URL}/member/",
                ]
            )
        )
