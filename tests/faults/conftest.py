# WeChat Pay as the payments tests configure it: keys generated per run, a fake API on 127.0.0.1.
from fenxiao.payments.tests.conftest import wechat, wechat_keys  # noqa: F401
