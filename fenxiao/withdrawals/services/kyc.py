"""Real-name verification: a distributor's name, ID number (encrypted and masked) and mobile, checked
before its first withdrawal.

The mobile is the one payouts are tied to (WeChat change goes to the WeChat of that number, banks and
finance call it), so it is proven like any phone: an SMS code sent to it for the `kyc` purpose, through
the one SMS service (its expiry, sending limits and wrong-try rules). It may differ from the login
phone; the record keeps when it was proven (`mobile_verified_at`)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fenxiao.distribution.models import Distributor
from fenxiao.sms import services as sms
from fenxiao.sms.models import Purpose

from .. import crypto, validation
from ..errors import WithdrawalCode, WithdrawalError
from ..models import IdentityConflict, KycRecord
from ..selectors import local_day

logger = logging.getLogger(__name__)


def _unverifiable() -> WithdrawalError:
    """The one answer for an identity that cannot be verified: it never says why, so that nobody
    learns whether an ID number belongs to someone else."""
    return WithdrawalError(
        WithdrawalCode.IDENTITY_UNVERIFIABLE, gettext("无法完成实名认证，请核对信息后重试，或联系客服"), {}, status=400
    )


def _record_conflict(*, distributor, digest: str, name: str, masked: str, phone: str) -> None:
    """Alert staff: the same ID number was offered for a second distributor."""
    holder_id = KycRecord.objects.filter(id_number_digest=digest).values_list("distributor_id", flat=True).first()
    conflict = IdentityConflict.objects.create(
        distributor=distributor, holder_id=holder_id, real_name=name, id_number_masked=masked, mobile=phone
    )
    logger.warning(
        "identity conflict %s: distributor %s offered an ID number (%s) held by distributor %s",
        conflict.pk,
        distributor.pk,
        masked,
        holder_id,
    )


def send_kyc_code(*, distributor, mobile: str, address: str = "") -> sms.SentCode:
    """Send the SMS code that proves `mobile` for the distributor's real-name verification. The mobile
    is checked like the submission checks it (`invalid_mobile`); sending is limited per phone and per
    client address (`throttled`), and may fail with the SMS app's `sms_unavailable`."""
    phone = validation.clean_mobile(mobile)
    return sms.send_code(phone=phone, purpose=Purpose.KYC, address=address)


def submit_kyc(
    *, distributor, real_name: str, id_number: str, mobile: str, code: str | None = None, actor=None, now=None
) -> KycRecord:
    """Verify and store a distributor's real name, ID number and mobile; a new submission replaces
    the old one and records who sent it and when. The ID number is kept encrypted and masked.
    An ID number that already backs another distributor is refused with the neutral
    `identity_unverifiable` and recorded as an IdentityConflict for finance.

    `code` is the SMS code sent to `mobile` by `send_kyc_code`; the pages and the API always pass
    one (an empty one is wrong). It is checked after the input and before anything is written, outside
    any transaction so that a wrong try counts: wrong, expired or used → the SMS app's `invalid_code`
    and nothing is recorded. Only trusted code (demo data) leaves it out, and its record then carries
    no `mobile_verified_at`."""
    now = now or timezone.now()
    name = validation.clean_real_name(real_name)
    id_info = validation.clean_id_number(id_number, today=local_day(now))
    phone = validation.clean_mobile(mobile)
    verified_at = None
    if code is not None:
        sms.verify_code(phone=phone, purpose=Purpose.KYC, code=code)
        verified_at = now
    fields = {
        "real_name": name,
        "id_number_encrypted": crypto.encrypt(id_info.number),
        "id_number_digest": crypto.digest(id_info.number, purpose="id_number"),
        "id_number_masked": id_info.masked,
        "id_last4": id_info.last4,
        "birth_date": id_info.birth_date,
        "gender": id_info.gender,
        "mobile": phone,
        "mobile_verified_at": verified_at,
        "updated_at": now,
        "updated_by": actor if getattr(actor, "pk", None) is not None else None,
    }
    try:
        with transaction.atomic():
            # One submission per distributor at a time; the unique digest settles races between distributors.
            Distributor.objects.select_for_update().filter(pk=distributor.pk).first()
            if (
                not KycRecord.objects.filter(id_number_digest=fields["id_number_digest"])
                .exclude(distributor=distributor)
                .exists()
            ):
                record = KycRecord.objects.select_for_update().filter(distributor=distributor).first()
                if record is None:
                    return KycRecord.objects.create(distributor=distributor, **fields)
                for key, value in fields.items():
                    setattr(record, key, value)
                record.revision += 1
                record.save(update_fields=[*fields, "revision"])
                return record
    except IntegrityError:
        pass  # another distributor stored the same number between our check and our write
    _record_conflict(distributor=distributor, digest=fields["id_number_digest"], name=name, masked=id_info.masked, phone=phone)
    raise _unverifiable()
