"""Print where the demo lives and how to log in."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from fenxiao.distribution.models import Distributor  # noqa: E402

host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
port = sys.argv[2] if len(sys.argv) > 2 else "8000"
base = f"http://{host}:{port}"
password = os.environ.get("FENXIAO_DEMO_PASSWORD", "(见 .env 中的 FENXIAO_DEMO_PASSWORD)")
demo = Distributor.objects.filter(user__phone="13800000001").first()
code = demo.code if demo else "?"
print(
    f"""
================ fenxiao demo ================
 商城首页   {base}/
 分享链接   {base}/s/{code}
 分销中心   {base}/dc/
 运营后台   {base}/admin/
 API 文档   {base}/api/docs
 登录（密码都是 {password}）
   运营     admin（另有 ops / finance / service / supply）
   分销商   13800000001
   消费者   13900000001
   供应商   13700000001
 Ctrl+C 停止服务
==============================================
"""
)
