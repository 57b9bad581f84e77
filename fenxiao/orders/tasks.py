"""Scheduled jobs of the orders app. Each is idempotent and safe to run at any frequency; the task
worker and the management command `run_order_jobs` both call these."""

from . import services


def run_all(now=None) -> dict[str, int]:
    return {
        "expired": services.expire_unpaid_orders(now=now),
        "auto_received": services.auto_receive_orders(now=now),
        "completed": services.complete_orders(now=now),
    }
