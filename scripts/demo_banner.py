"""Print where the demo lives and how to log in."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from fenxiao.demo.seed import (  # noqa: E402
    CAMPAIGN_NAME,
    DEMO_CONSUMER_PHONE,
    DEMO_DISTRIBUTOR_PHONE,
    DEMO_SUPPLIER_PHONE,
)
from fenxiao.demo.seed.supply import SECOND_SUPPLIER_PHONE  # noqa: E402
from fenxiao.distribution.models import Distributor  # noqa: E402
from fenxiao.promotions.models import Campaign  # noqa: E402

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = sys.argv[2] if len(sys.argv) > 2 else "8000"
base = f"http://{host}:{port}"
password = os.environ.get("FENXIAO_DEMO_PASSWORD", "(见 .env 中的 FENXIAO_DEMO_PASSWORD)")
demo = Distributor.objects.filter(user__phone=DEMO_DISTRIBUTOR_PHONE).first()
code = demo.code if demo else "?"
campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()
campaign_path = f"/campaigns/{campaign.pk}/" if campaign else "/"
print(
    f"""
================ fenxiao demo ================
 商城首页   {base}/
 分享链接   {base}/s/{code}
 分销中心   {base}/dc/
 大促活动   {base}{campaign_path}
 领券中心   {base}/coupons/centre/
 会员中心   {base}/member/
 运营后台   {base}/admin/
 供应商后台 {base}/supplier/
 API 文档   {base}/api/docs
 登录（密码都是 {password}）
   运营     admin（另有 ops / finance / service / supply）
   分销商   {DEMO_DISTRIBUTOR_PHONE}
   消费者   {DEMO_CONSUMER_PHONE}
   供应商   {DEMO_SUPPLIER_PHONE}、{SECOND_SUPPLIER_PHONE}
 Ctrl+C 停止服务
==============================================
"""
)
