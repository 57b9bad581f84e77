from django.core.management.base import BaseCommand, CommandError

from fenxiao.growth import services
from fenxiao.growth.errors import GrowthError


class Command(BaseCommand):
    help = "排行榜结榜并发放奖品：默认对每个设置了奖品的榜单与周期，结算最近一个已结束的月度/季度；已结算的周期不会重复发放。"

    def add_arguments(self, parser):
        parser.add_argument("--board", choices=["sales", "invites"], help="只结算这个榜单（需同时给出 --kind）")
        parser.add_argument("--kind", choices=["month", "quarter"], help="周期类型（需同时给出 --board）")
        parser.add_argument("--period", help="期间，例如 2026-10 或 2026-Q3；默认最近一个已结束的周期")

    def handle(self, *args, board=None, kind=None, period=None, **options):
        if bool(board) != bool(kind) or (period and not board):
            raise CommandError("--board 与 --kind 需同时给出；--period 需配合 --board 与 --kind 使用")
        try:
            if board:
                closings = [services.close_period(board, kind, period)]
            else:
                closings = services.run_leaderboard_close()
        except GrowthError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if not closings:
            self.stdout.write("没有启用的排行榜奖品，无需结榜")
        for closing in closings:
            c = closing.close
            state = "结榜" if closing.created else "此前已结榜"
            self.stdout.write(f"{c.board} {c.period_kind} {c.period}：{state}，获奖 {c.winners} 人，现金合计 {c.cash_fen} 分")
