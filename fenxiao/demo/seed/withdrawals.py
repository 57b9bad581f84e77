"""Demo withdrawals for seed_demo: real-name verification for the demo distributor, and for every
distributor whose available balance allows it, a few withdrawals spread over the states (requested,
approved, paid and failed through a payout batch and an imported result file, rejected, cancelled).

Everything goes through the withdrawals services, as a distributor and finance would do it. Safe to
run again: the demo withdrawals carry idempotency keys starting with "demo:", and once they exist a
second run makes none; without available balance there are simply no demo withdrawals.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from stdnum.cn import ric

from fenxiao.approvals import selectors as approval_selectors
from fenxiao.approvals import services as approvals
from fenxiao.common.errors import DomainError
from fenxiao.distribution.models import Distributor
from fenxiao.withdrawals import selectors, services
from fenxiao.withdrawals.models import Channel, KycRecord, PayoutBatch, Withdrawal
from fenxiao.withdrawals.services import payouts

from .people import DEMO_DISTRIBUTOR_PHONE

REGION = "110105"  # 北京市朝阳区
GIVEN_NAMES = ["美玲", "建国", "晓燕", "志强", "丽娟", "海峰", "春梅", "俊杰", "秀英", "文博"]
KEY_PREFIX = "demo:"
MAX_DISTRIBUTORS = 6

# (step, amount in fen, channel, account, bank name): what each distributor with money asks for, in
# this order, while its balance lasts.
PLAN = [
    ("paid", 5000, Channel.BANK, "6222021202041234567", "工商银行杭州西湖支行"),
    ("approved", 3000, Channel.ALIPAY, "", ""),
    ("requested", 2000, Channel.WECHAT, "", ""),
    ("rejected", 1500, Channel.BANK, "6217001540009876543", "建设银行杭州分行"),
    ("cancelled", 1200, Channel.ALIPAY, "", ""),
    ("failed", 1000, Channel.BANK, "6228480000000000017", "农业银行杭州分行"),
]


def demo_id_number(distributor_id: int) -> str:
    """A valid 18-digit number for the demo (a real region code, a birth date in the 1980s and 90s,
    the GB 11643 check digit), different for every distributor."""
    birth = date(1982, 1, 1) + timedelta(days=(distributor_id * 397) % 5000)
    sequence = f"{(distributor_id * 7) % 1000:03d}"
    body = f"{REGION}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def _demo_name(distributor: Distributor) -> str:
    nickname = distributor.user.nickname or ""
    surname = nickname[0] if nickname and "\u4e00" <= nickname[0] <= "\u9fff" else "王"
    return surname + GIVEN_NAMES[distributor.pk % len(GIVEN_NAMES)]


def _ensure_kyc(distributor: Distributor) -> KycRecord | None:
    existing = selectors.kyc_for(distributor)
    if existing is not None:
        return existing
    phone = distributor.user.phone or DEMO_DISTRIBUTOR_PHONE
    try:
        return services.submit_kyc(
            distributor=distributor,
            real_name=_demo_name(distributor),
            id_number=demo_id_number(distributor.pk),
            mobile=phone,
            actor=distributor.user,
        )
    except DomainError:
        return None


def _finance_user():
    users = get_user_model().objects
    return users.filter(username="finance").first() or users.filter(is_superuser=True).order_by("pk").first()


def make_demo_withdrawals() -> int:
    """Returns how many withdrawals were made this time."""
    demo = Distributor.objects.filter(user__phone=DEMO_DISTRIBUTOR_PHONE, status=Distributor.Status.APPROVED).first()
    if demo is not None:
        _ensure_kyc(demo)
    if Withdrawal.objects.filter(idempotency_key__startswith=KEY_PREFIX).exists():
        # Made on an earlier run; money returned since (a failed payout) must not start a second round.
        return 0
    finance = _finance_user()
    conf = services.get_settings()
    made = 0
    to_pay: dict[str, list[Withdrawal]] = {"paid": [], "failed": []}
    candidates = Distributor.objects.filter(status=Distributor.Status.APPROVED).select_related("user").order_by("pk")
    with_money = [d for d in candidates if selectors.balances(d.pk)[0] >= conf.min_amount_fen]
    for distributor in with_money[:MAX_DISTRIBUTORS]:
        if _ensure_kyc(distributor) is None:
            continue
        for step, amount, channel, account, bank_name in PLAN:
            key = f"{KEY_PREFIX}{step}"
            if channel == Channel.ALIPAY:
                account = distributor.user.phone or ""
            if selectors.balances(distributor.pk)[0] < max(amount, conf.min_amount_fen) or channel not in conf.enabled_channels:
                continue
            try:
                withdrawal = services.request_withdrawal(
                    distributor=distributor,
                    amount_fen=max(amount, conf.min_amount_fen),
                    channel=channel,
                    account=account,
                    bank_name=bank_name,
                    idempotency_key=key,
                    actor=distributor.user,
                )
            except DomainError:
                continue
            made += 1
            if step in ("approved", "paid", "failed"):
                services.approve_withdrawal(withdrawal_id=withdrawal.pk, actor=finance, note="演示：资料齐全")
            if step == "rejected":
                services.reject_withdrawal(withdrawal_id=withdrawal.pk, actor=finance, reason="演示：银行卡户名与实名不一致")
            elif step == "cancelled":
                services.cancel_withdrawal(withdrawal_id=withdrawal.pk, distributor=distributor, actor=distributor.user)
            elif step in to_pay:
                to_pay[step].append(withdrawal)
    paying = to_pay["paid"] + to_pay["failed"]
    if paying:
        _pay_through_batch(paying, failed={w.pk for w in to_pay["failed"]}, finance=finance)
    return made


def _pay_through_batch(withdrawals: list[Withdrawal], *, failed: set[int], finance) -> PayoutBatch:
    """A batch of these withdrawals, exported, and a result file saying which were paid."""
    batch = payouts.create_batch(actor=finance, withdrawal_ids=[w.pk for w in withdrawals])
    # A second person approves the batch before its file leaves (maker–checker): the administrator.
    checker = (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(pk=getattr(finance, "pk", None))
        .order_by("pk")
        .first()
    )
    request = approval_selectors.latest_for(payouts.BATCH_APPROVAL, payouts.batch_reference(batch))
    if checker is None or request is None:
        return batch  # left in 待审批 for a colleague
    approvals.approve(request_id=request.pk, actor=checker, note="演示：复核通过")
    payouts.export_batch(batch_id=batch.pk, actor=finance, fmt="xlsx")
    lines = ["提现单号,结果,打款流水号,失败原因"]
    for w in withdrawals:
        if w.pk in failed:
            lines.append(f"{w.number},失败,,演示：账户已销户")
        else:
            lines.append(f"{w.number},成功,DEMO{w.pk:08d},")
    content = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    payouts.import_results(batch_id=batch.pk, actor=finance, filename="demo-results.csv", content=content)
    return batch
