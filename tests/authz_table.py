"""Who may call each API endpoint: the one table the authorization matrix test checks.

Keys are "METHOD /api/path/{param}" exactly as the URL configuration spells them; a new endpoint
without an entry here fails `tests/test_authz_matrix.py`. The rules:

- PUBLIC: anyone, signed in or not (never 401/403).
- MEMBER: any signed-in user; anonymous gets 401.
- NOT_STAFF: any signed-in user who is not staff (staff accounts cannot become distributors).
- DISTRIBUTOR: a signed-in user whose distributor profile is in force; anonymous 401; a consumer,
  a staff user without a profile and a suspended distributor are refused (403 `not_distributor`).
- EARNER: like DISTRIBUTOR, and a suspended distributor still sees the money it has earned.
- PROFILE: any user with a distributor profile, whatever its status (it sees that status).
- STAFF_PERM("app.codename", …): an active staff user holding every one of the permissions (through its group or as
  superuser); anonymous 401, everybody else 403.
- SUPPLIER: a signed-in user whose supplier account is approved, or suspended (what was already routed
  to it must still be shipped); anonymous 401; anybody else 403 `not_supplier`.
- OWNER(kind, base): the base rule, then the object in the path must be the caller's own; somebody
  else's answers 404, exactly like an object that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = "allowed", "401", "403", "404"


@dataclass(frozen=True)
class Rule:
    name: str
    perms: tuple[str, ...] = ()
    kind: str = ""  # OWNER: the kind of object the path names
    base: Rule | None = None
    statuses: tuple[str, ...] = ()  # distributor rules: the profile statuses let in

    def expected(self, user, *, distributor_status: str | None, whose: str) -> str:
        """The outcome class for `user` (None: anonymous) whose distributor profile has
        `distributor_status` (None: no profile), asking about its own object or somebody else's."""
        if self.name == "public":
            return ALLOWED
        if user is None:
            return UNAUTHENTICATED
        if self.name == "member":
            return ALLOWED
        if self.name == "not_staff":
            return FORBIDDEN if user.is_staff else ALLOWED
        if self.name == "distributor":
            return (
                ALLOWED
                if distributor_status is not None and (not self.statuses or distributor_status in self.statuses)
                else FORBIDDEN
            )
        if self.name == "supplier":
            return ALLOWED if is_portal_supplier(user) else FORBIDDEN
        if self.name == "staff":
            return ALLOWED if (user.is_active and user.is_staff and user.has_perms(self.perms)) else FORBIDDEN
        if self.name == "owner":
            first = self.base.expected(user, distributor_status=distributor_status, whose=whose)
            if first != ALLOWED:
                return first
            return ALLOWED if whose == "own" else NOT_FOUND
        raise ValueError(self.name)

    def __repr__(self) -> str:
        if self.name == "staff":
            return f"STAFF_PERM{self.perms!r}"
        if self.name == "owner":
            return f"OWNER({self.kind!r}, {self.base!r})"
        return (
            {("approved",): "DISTRIBUTOR", ("approved", "suspended"): "EARNER", (): "PROFILE"}.get(
                self.statuses, self.name.upper()
            )
            if self.name == "distributor"
            else self.name.upper()
        )


def is_portal_supplier(user) -> bool:
    """The user acts for a supplier that may use the portal (read afresh: the status may have changed)."""
    from fenxiao.suppliers.models import Supplier

    return Supplier.objects.filter(user_id=user.pk, is_active=True, status__in=("approved", "suspended")).exists()


PUBLIC = Rule("public")
MEMBER = Rule("member")
NOT_STAFF = Rule("not_staff")
DISTRIBUTOR = Rule("distributor", statuses=("approved",))
EARNER = Rule("distributor", statuses=("approved", "suspended"))
PROFILE = Rule("distributor")
SUPPLIER = Rule("supplier")


def STAFF_PERM(*perms: str) -> Rule:
    """All of `perms` are needed."""
    return Rule("staff", perms=perms)


def OWNER(kind: str, base: Rule = MEMBER) -> Rule:
    return Rule("owner", kind=kind, base=base)


OP = "/api/v1/operator"
# the commission plan (simulator, team bonus) belongs to whoever may change the levels and the settings
PLAN = STAFF_PERM("distribution.change_level", "distribution.change_distributionsettings")

TABLE: dict[str, Rule] = {
    # accounts
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC,
    "POST /api/v1/auth/wechat/miniprogram": PUBLIC,
    "POST /api/v1/auth/sms/send": PUBLIC,
    "POST /api/v1/auth/login/sms": PUBLIC,
    "POST /api/v1/auth/password/reset": PUBLIC,
    "POST /api/v1/auth/logout": MEMBER,
    "GET /api/v1/auth/me": MEMBER,
    "PATCH /api/v1/auth/me": MEMBER,
    "POST /api/v1/auth/password": MEMBER,
    "POST /api/v1/auth/tokens/revoke-all": MEMBER,
    # catalog (the shop)
    "GET /api/v1/catalog/categories": PUBLIC,
    "GET /api/v1/catalog/products": PUBLIC,
    "GET /api/v1/catalog/products/{product_id}": PUBLIC,
    # the buyer's address book; the region list is public (a picker before signing in)
    "GET /api/v1/addresses": MEMBER,
    "POST /api/v1/addresses": MEMBER,
    "GET /api/v1/addresses/regions": PUBLIC,
    "PUT /api/v1/addresses/{address_id}": OWNER("address"),
    "DELETE /api/v1/addresses/{address_id}": OWNER("address"),
    "POST /api/v1/addresses/{address_id}/default": OWNER("address"),
    # cart and orders of the signed-in buyer
    "GET /api/v1/cart": MEMBER,
    "GET /api/v1/campaigns/{campaign_id}": MEMBER,
    "GET /api/v1/coupons/centre": MEMBER,
    "POST /api/v1/coupons/{coupon_id}/claim": MEMBER,
    "GET /api/v1/coupons/mine": MEMBER,
    "GET /api/v1/points-mall": MEMBER,
    "POST /api/v1/points-mall/{item_id}/exchange": MEMBER,
    "GET /api/v1/members/me": MEMBER,
    "GET /api/v1/members/points": MEMBER,
    "POST /api/v1/cart/items": MEMBER,
    "PUT /api/v1/cart/items/{sku_id}": MEMBER,
    "DELETE /api/v1/cart/items/{sku_id}": MEMBER,
    "GET /api/v1/orders": MEMBER,
    "POST /api/v1/orders": MEMBER,
    "POST /api/v1/orders/points-mall": MEMBER,
    "POST /api/v1/orders/group": MEMBER,
    # flash sales (秒杀): the day's slots and an item are open to anyone; reminders and orders need an account
    "GET /api/v1/flash-sales": PUBLIC,
    "GET /api/v1/flash-sales/items/{item_id}": PUBLIC,
    "POST /api/v1/flash-sales/{sale_id}/remind": MEMBER,
    "DELETE /api/v1/flash-sales/{sale_id}/remind": MEMBER,
    "POST /api/v1/orders/flash": MEMBER,
    # group buys (拼团): the activity and a group's page are open to anyone (share links)
    "GET /api/v1/group-buys/{activity_id}": PUBLIC,
    "GET /api/v1/group-buys/groups/{group_id}": PUBLIC,
    "POST /api/v1/orders/bargain": MEMBER,
    # bargains (砍价): a shared link is opened by anyone; helping needs an account where the activity says so
    "GET /api/v1/bargains/activities/{activity_id}": PUBLIC,
    "POST /api/v1/bargains/activities/{activity_id}/start": MEMBER,
    "GET /api/v1/bargains/{bargain_id}": PUBLIC,
    "POST /api/v1/bargains/{bargain_id}/help": PUBLIC,
    "POST /api/v1/orders/quote": MEMBER,
    "GET /api/v1/orders/shop": DISTRIBUTOR,
    "GET /api/v1/orders/{order_id}": OWNER("order"),
    "POST /api/v1/orders/{order_id}/cancel": OWNER("order"),
    "POST /api/v1/orders/{order_id}/confirm-receipt": OWNER("order"),
    "POST /api/v1/orders/{order_id}/pay": OWNER("order"),
    "POST /api/v1/orders/lines/{line_id}/aftersales": OWNER("line"),
    "POST /api/v1/orders/aftersales/{aftersale_id}/photos": OWNER("aftersale"),
    "POST /api/v1/orders/aftersales/{aftersale_id}/return": OWNER("aftersale"),
    "POST /api/v1/orders/aftersales/{aftersale_id}/withdraw": OWNER("aftersale"),
    # payment provider callbacks: signed by the provider, not by a user
    "POST /api/v1/payments/wechatpay/notify": PUBLIC,
    "POST /api/v1/payments/wechatpay/refund-notify": PUBLIC,
    "POST /api/v1/withdrawals/wechatpay/transfer-notify": PUBLIC,
    # supplier admission: a user's own application; the operator's review (供应链)
    "POST /api/v1/supplier-applications": NOT_STAFF,
    "GET /api/v1/supplier-applications/mine": MEMBER,
    f"GET {OP}/suppliers": STAFF_PERM("suppliers.view_supplier"),
    f"GET {OP}/suppliers/{{supplier_id}}": STAFF_PERM("suppliers.view_supplier"),
    f"POST {OP}/suppliers/{{supplier_id}}/approve": STAFF_PERM("suppliers.review_supplier"),
    f"POST {OP}/suppliers/{{supplier_id}}/reject": STAFF_PERM("suppliers.review_supplier"),
    f"POST {OP}/suppliers/{{supplier_id}}/evaluate": STAFF_PERM("suppliers.review_supplier"),
    f"POST {OP}/suppliers/{{supplier_id}}/suspend": STAFF_PERM("suppliers.review_supplier"),
    f"POST {OP}/suppliers/{{supplier_id}}/reinstate": STAFF_PERM("suppliers.review_supplier"),
    # distribution
    "GET /api/v1/distribution/agreement": PUBLIC,
    "POST /api/v1/distribution/apply": NOT_STAFF,
    "POST /api/v1/distribution/bind": MEMBER,
    "GET /api/v1/distribution/me": PROFILE,
    "GET /api/v1/distribution/me/downline": DISTRIBUTOR,
    "GET /api/v1/distribution/me/share-link": DISTRIBUTOR,
    "GET /api/v1/distribution/shop": DISTRIBUTOR,
    "PUT /api/v1/distribution/shop": DISTRIBUTOR,
    "POST /api/v1/distribution/shop/avatar": DISTRIBUTOR,
    "PUT /api/v1/distribution/shop/featured": DISTRIBUTOR,
    "GET /api/v1/distribution/shop/poster.png": DISTRIBUTOR,
    # earnings, team, growth of a distributor
    "GET /api/v1/earnings/months": EARNER,
    "GET /api/v1/earnings/orders": EARNER,
    "GET /api/v1/earnings/orders/{order_id}": OWNER("earning_order", EARNER),
    "GET /api/v1/earnings/statement": EARNER,
    "GET /api/v1/earnings/summary": EARNER,
    "GET /api/v1/team": DISTRIBUTOR,
    "GET /api/v1/team/{distributor_id}/children": OWNER("team_member", DISTRIBUTOR),
    "GET /api/v1/leaderboards": DISTRIBUTOR,
    "GET /api/v1/growth/invitations": DISTRIBUTOR,
    "POST /api/v1/growth/invitations/{rung_id}/claim": DISTRIBUTOR,
    "GET /api/v1/growth/leaderboard-awards": DISTRIBUTOR,
    "GET /api/v1/growth/level": DISTRIBUTOR,
    "GET /api/v1/notifications": MEMBER,
    "POST /api/v1/notifications/read": MEMBER,
    "POST /api/v1/notifications/read-all": MEMBER,
    # withdrawals of a distributor
    "GET /api/v1/withdrawals": DISTRIBUTOR,
    "POST /api/v1/withdrawals": DISTRIBUTOR,
    "GET /api/v1/withdrawals/kyc": DISTRIBUTOR,
    "PUT /api/v1/withdrawals/kyc": DISTRIBUTOR,
    "POST /api/v1/withdrawals/kyc/code": DISTRIBUTOR,
    "GET /api/v1/withdrawals/settings": DISTRIBUTOR,
    "GET /api/v1/withdrawals/{withdrawal_id}": OWNER("withdrawal", DISTRIBUTOR),
    "POST /api/v1/withdrawals/{withdrawal_id}/cancel": OWNER("withdrawal", DISTRIBUTOR),
    "POST /api/v1/withdrawals/{withdrawal_id}/transfer/confirmation": OWNER("withdrawal", DISTRIBUTOR),
    "POST /api/v1/withdrawals/{withdrawal_id}/transfer/check": OWNER("withdrawal", DISTRIBUTOR),
    # operator: catalog and stock
    f"GET {OP}/catalog/categories": STAFF_PERM("catalog.view_category"),
    f"GET {OP}/catalog/products": STAFF_PERM("catalog.view_product"),
    f"POST {OP}/catalog/products": STAFF_PERM("catalog.add_product"),
    f"GET {OP}/catalog/products/{{product_id}}": STAFF_PERM("catalog.view_product"),
    f"PATCH {OP}/catalog/products/{{product_id}}": STAFF_PERM("catalog.change_product"),
    f"POST {OP}/catalog/products/{{product_id}}/shelf": STAFF_PERM("catalog.change_product"),
    f"POST {OP}/catalog/products/{{product_id}}/skus": STAFF_PERM("catalog.add_sku"),
    f"PATCH {OP}/catalog/skus/{{sku_id}}": STAFF_PERM("catalog.change_sku"),
    f"PUT {OP}/catalog/skus/{{sku_id}}/prices": STAFF_PERM("catalog.change_sku"),
    f"GET {OP}/catalog/categories/{{category_id}}/commission-overrides": STAFF_PERM("catalog.view_commissionoverride"),
    f"PUT {OP}/catalog/categories/{{category_id}}/commission-overrides/{{depth}}": STAFF_PERM(
        "catalog.change_commissionoverride"
    ),
    f"DELETE {OP}/catalog/categories/{{category_id}}/commission-overrides/{{depth}}": STAFF_PERM(
        "catalog.delete_commissionoverride"
    ),
    f"GET {OP}/catalog/products/{{product_id}}/commission-overrides": STAFF_PERM("catalog.view_commissionoverride"),
    f"PUT {OP}/catalog/products/{{product_id}}/commission-overrides/{{depth}}": STAFF_PERM("catalog.change_commissionoverride"),
    f"DELETE {OP}/catalog/products/{{product_id}}/commission-overrides/{{depth}}": STAFF_PERM(
        "catalog.delete_commissionoverride"
    ),
    f"GET {OP}/inventory/skus/{{sku_id}}/stock": STAFF_PERM("inventory.view_stockrecord"),
    f"POST {OP}/inventory/skus/{{sku_id}}/stock/receive": STAFF_PERM("inventory.change_stockrecord"),
    f"POST {OP}/inventory/skus/{{sku_id}}/stock/adjust": STAFF_PERM("inventory.change_stockrecord"),
    f"GET {OP}/inventory/batches": STAFF_PERM("inventory.view_stockrecord"),
    f"GET {OP}/inventory/batches/{{batch_id}}/trace": STAFF_PERM("orders.view_order"),
    # carriers: the list is public (shipping forms, tracking links); 供应链 keeps it
    "GET /api/v1/carriers": PUBLIC,
    f"GET {OP}/carriers": STAFF_PERM("logistics.view_carrier"),
    f"POST {OP}/carriers": STAFF_PERM("logistics.add_carrier"),
    f"PATCH {OP}/carriers/{{carrier_id}}": STAFF_PERM("logistics.change_carrier"),
    f"POST {OP}/carriers/{{carrier_id}}/deactivate": STAFF_PERM("logistics.change_carrier"),
    # operator: orders and after-sales
    f"GET {OP}/orders": STAFF_PERM("orders.view_order"),
    f"GET {OP}/orders/{{order_id}}": STAFF_PERM("orders.view_order"),
    f"POST {OP}/orders/{{order_id}}/ship": STAFF_PERM("orders.ship_order"),
    f"POST {OP}/shipments/{{shipment_id}}/cancel": STAFF_PERM("orders.cancel_order"),
    f"POST {OP}/orders/{{order_id}}/cancel": STAFF_PERM("orders.cancel_order"),
    f"POST {OP}/orders/lines/{{line_id}}/refund": STAFF_PERM("orders.refund_money"),
    f"GET {OP}/aftersales": STAFF_PERM("orders.view_aftersale"),
    f"POST {OP}/aftersales/{{aftersale_id}}/approve": STAFF_PERM("orders.review_aftersale"),
    f"POST {OP}/aftersales/{{aftersale_id}}/reject": STAFF_PERM("orders.review_aftersale"),
    f"POST {OP}/aftersales/{{aftersale_id}}/receive-return": STAFF_PERM("orders.receive_return"),
    # operator: distribution, commissions, growth, analytics
    f"GET {OP}/distribution/applications": STAFF_PERM("distribution.view_distributor"),
    f"POST {OP}/distribution/distributors/{{distributor_id}}/approve": STAFF_PERM("distribution.change_distributor"),
    f"POST {OP}/distribution/distributors/{{distributor_id}}/reject": STAFF_PERM("distribution.change_distributor"),
    f"GET {OP}/distribution/levels": STAFF_PERM("distribution.view_level"),
    f"POST {OP}/distribution/levels": STAFF_PERM("distribution.add_level"),
    f"PUT {OP}/distribution/levels/{{level_id}}": STAFF_PERM("distribution.change_level"),
    f"GET {OP}/distribution/settings": STAFF_PERM("distribution.view_distributionsettings"),
    f"PATCH {OP}/distribution/settings": STAFF_PERM("distribution.change_distributionsettings"),
    f"GET {OP}/analytics/chain/{{distributor_id}}": STAFF_PERM("distribution.view_distributor"),
    f"GET {OP}/commissions/settlement": STAFF_PERM("commissions.view_commissionsettings"),
    f"PUT {OP}/commissions/settlement": STAFF_PERM("commissions.change_commissionsettings"),
    f"GET {OP}/commissions/settlement/batches": STAFF_PERM("commissions.view_settlementbatch"),
    f"POST {OP}/commissions/settlement/run": STAFF_PERM("commissions.add_settlementbatch"),
    f"POST {OP}/commissions/simulate": PLAN,
    f"GET {OP}/commissions/team-bonus": PLAN,
    f"POST {OP}/commissions/team-bonus/run": PLAN,
    f"GET {OP}/growth/rules": STAFF_PERM("growth.change_levelrule"),
    f"PUT {OP}/growth/rules/{{level_id}}": STAFF_PERM("growth.change_levelrule"),
    f"GET {OP}/growth/changes": STAFF_PERM("growth.view_levelchange"),
    f"POST {OP}/growth/evaluations": STAFF_PERM("growth.change_levelrule"),
    f"GET {OP}/growth/conversion": STAFF_PERM("growth.view_applyinvitation"),
    f"POST {OP}/growth/invitation-rungs": STAFF_PERM("growth.add_invitationrung"),
    f"GET {OP}/growth/leaderboard-prizes": STAFF_PERM("growth.view_leaderboardprize"),
    f"POST {OP}/growth/leaderboard-prizes": STAFF_PERM("growth.add_leaderboardprize"),
    f"PUT {OP}/growth/leaderboard-prizes/{{prize_id}}": STAFF_PERM("growth.change_leaderboardprize"),
    f"DELETE {OP}/growth/leaderboard-prizes/{{prize_id}}": STAFF_PERM("growth.change_leaderboardprize"),
    f"GET {OP}/growth/leaderboard-closes": STAFF_PERM("growth.view_leaderboardclose"),
    f"POST {OP}/growth/leaderboard-closes": STAFF_PERM("growth.add_leaderboardclose"),
    # operator: promotions
    f"GET {OP}/members/tiers": STAFF_PERM("members.view_membertier"),
    f"POST {OP}/members/tiers": STAFF_PERM("members.add_membertier"),
    f"PUT {OP}/members/tiers/{{tier_id}}": STAFF_PERM("members.change_membertier"),
    f"DELETE {OP}/members/tiers/{{tier_id}}": STAFF_PERM("members.delete_membertier"),
    f"POST {OP}/members/points/grants": STAFF_PERM("members.grant_points"),
    f"GET {OP}/promotions/coupons": STAFF_PERM("promotions.view_coupon"),
    f"POST {OP}/promotions/coupons": STAFF_PERM("promotions.add_coupon"),
    f"GET {OP}/promotions/coupons/{{coupon_id}}": STAFF_PERM("promotions.view_coupon"),
    f"PUT {OP}/promotions/coupons/{{coupon_id}}": STAFF_PERM("promotions.change_coupon"),
    f"GET {OP}/promotions/coupons/{{coupon_id}}/figures": STAFF_PERM("promotions.view_coupon"),
    f"POST {OP}/promotions/coupons/{{coupon_id}}/pause": STAFF_PERM("promotions.change_coupon"),
    f"POST {OP}/promotions/coupons/{{coupon_id}}/resume": STAFF_PERM("promotions.change_coupon"),
    f"POST {OP}/promotions/coupons/{{coupon_id}}/end": STAFF_PERM("promotions.change_coupon"),
    f"GET {OP}/promotions/full-reductions": STAFF_PERM("promotions.view_fullreduction"),
    f"POST {OP}/promotions/full-reductions": STAFF_PERM("promotions.add_fullreduction"),
    f"GET {OP}/promotions/full-reductions/{{rule_id}}": STAFF_PERM("promotions.view_fullreduction"),
    f"PUT {OP}/promotions/full-reductions/{{rule_id}}": STAFF_PERM("promotions.change_fullreduction"),
    f"GET {OP}/promotions/full-reductions/{{rule_id}}/figures": STAFF_PERM("promotions.view_fullreduction"),
    f"POST {OP}/promotions/full-reductions/{{rule_id}}/pause": STAFF_PERM("promotions.change_fullreduction"),
    f"POST {OP}/promotions/full-reductions/{{rule_id}}/resume": STAFF_PERM("promotions.change_fullreduction"),
    f"POST {OP}/promotions/full-reductions/{{rule_id}}/end": STAFF_PERM("promotions.change_fullreduction"),
    f"GET {OP}/promotions/timed-discounts": STAFF_PERM("promotions.view_timeddiscount"),
    f"POST {OP}/promotions/timed-discounts": STAFF_PERM("promotions.add_timeddiscount"),
    f"GET {OP}/promotions/timed-discounts/{{discount_id}}": STAFF_PERM("promotions.view_timeddiscount"),
    f"PUT {OP}/promotions/timed-discounts/{{discount_id}}": STAFF_PERM("promotions.change_timeddiscount"),
    f"GET {OP}/promotions/timed-discounts/{{discount_id}}/figures": STAFF_PERM("promotions.view_timeddiscount"),
    f"POST {OP}/promotions/timed-discounts/{{discount_id}}/pause": STAFF_PERM("promotions.change_timeddiscount"),
    f"POST {OP}/promotions/timed-discounts/{{discount_id}}/resume": STAFF_PERM("promotions.change_timeddiscount"),
    f"POST {OP}/promotions/timed-discounts/{{discount_id}}/end": STAFF_PERM("promotions.change_timeddiscount"),
    f"POST {OP}/promotions/coupons/{{coupon_id}}/issue": STAFF_PERM("promotions.issue_coupon"),
    f"GET {OP}/promotions/quantity-tiers": STAFF_PERM("promotions.view_quantitytier"),
    f"POST {OP}/promotions/quantity-tiers": STAFF_PERM("promotions.add_quantitytier"),
    f"GET {OP}/promotions/quantity-tiers/{{tier_id}}": STAFF_PERM("promotions.view_quantitytier"),
    f"PUT {OP}/promotions/quantity-tiers/{{tier_id}}": STAFF_PERM("promotions.change_quantitytier"),
    # operator: marketing activities (秒杀, 拼团, 砍价)
    f"GET {OP}/activities/flash-sales": STAFF_PERM("promotions.view_flashsale"),
    f"POST {OP}/activities/flash-sales": STAFF_PERM("promotions.add_flashsale"),
    f"GET {OP}/activities/flash-sales/{{sale_id}}": STAFF_PERM("promotions.view_flashsale"),
    f"PATCH {OP}/activities/flash-sales/{{sale_id}}": STAFF_PERM("promotions.change_flashsale"),
    f"GET {OP}/activities/flash-sales/{{sale_id}}/figures": STAFF_PERM("promotions.view_flashsale"),
    f"POST {OP}/activities/flash-sales/{{sale_id}}/pause": STAFF_PERM("promotions.change_flashsale"),
    f"POST {OP}/activities/flash-sales/{{sale_id}}/resume": STAFF_PERM("promotions.change_flashsale"),
    f"POST {OP}/activities/flash-sales/{{sale_id}}/end": STAFF_PERM("promotions.change_flashsale"),
    f"GET {OP}/activities/group-buys": STAFF_PERM("promotions.view_groupbuy"),
    f"POST {OP}/activities/group-buys": STAFF_PERM("promotions.add_groupbuy"),
    f"GET {OP}/activities/group-buys/{{activity_id}}": STAFF_PERM("promotions.view_groupbuy"),
    f"PATCH {OP}/activities/group-buys/{{activity_id}}": STAFF_PERM("promotions.change_groupbuy"),
    f"GET {OP}/activities/group-buys/{{activity_id}}/figures": STAFF_PERM("promotions.view_groupbuy"),
    f"POST {OP}/activities/group-buys/{{activity_id}}/pause": STAFF_PERM("promotions.change_groupbuy"),
    f"POST {OP}/activities/group-buys/{{activity_id}}/resume": STAFF_PERM("promotions.change_groupbuy"),
    f"POST {OP}/activities/group-buys/{{activity_id}}/end": STAFF_PERM("promotions.change_groupbuy"),
    f"GET {OP}/activities/bargains": STAFF_PERM("promotions.view_bargainactivity"),
    f"POST {OP}/activities/bargains": STAFF_PERM("promotions.add_bargainactivity"),
    f"GET {OP}/activities/bargains/{{activity_id}}": STAFF_PERM("promotions.view_bargainactivity"),
    f"PATCH {OP}/activities/bargains/{{activity_id}}": STAFF_PERM("promotions.change_bargainactivity"),
    f"GET {OP}/activities/bargains/{{activity_id}}/figures": STAFF_PERM("promotions.view_bargainactivity"),
    f"POST {OP}/activities/bargains/{{activity_id}}/pause": STAFF_PERM("promotions.change_bargainactivity"),
    f"POST {OP}/activities/bargains/{{activity_id}}/resume": STAFF_PERM("promotions.change_bargainactivity"),
    f"POST {OP}/activities/bargains/{{activity_id}}/end": STAFF_PERM("promotions.change_bargainactivity"),
    # operator: approvals (maker–checker)
    f"GET {OP}/approvals": STAFF_PERM("approvals.view_approvalrequest"),
    f"POST {OP}/approvals/{{approval_id}}/approve": STAFF_PERM("approvals.decide_approvalrequest"),
    f"POST {OP}/approvals/{{approval_id}}/reject": STAFF_PERM("approvals.decide_approvalrequest"),
    # operator: withdrawals and payout batches
    f"GET {OP}/withdrawals": STAFF_PERM("withdrawals.view_withdrawal"),
    f"GET {OP}/withdrawals/{{withdrawal_id}}": STAFF_PERM("withdrawals.view_withdrawal"),
    f"POST {OP}/withdrawals/{{withdrawal_id}}/approve": STAFF_PERM("withdrawals.change_withdrawal"),
    f"POST {OP}/withdrawals/{{withdrawal_id}}/reject": STAFF_PERM("withdrawals.change_withdrawal"),
    f"GET {OP}/withdrawals/settings": STAFF_PERM("withdrawals.view_withdrawalsettings"),
    f"PATCH {OP}/withdrawals/settings": STAFF_PERM("withdrawals.change_withdrawalsettings"),
    f"GET {OP}/withdrawals/batches": STAFF_PERM("withdrawals.view_payoutbatch"),
    f"POST {OP}/withdrawals/batches": STAFF_PERM("withdrawals.add_payoutbatch"),
    f"GET {OP}/withdrawals/batches/{{batch_id}}": STAFF_PERM("withdrawals.view_payoutbatch"),
    f"GET {OP}/withdrawals/batches/{{batch_id}}/export.csv": STAFF_PERM("withdrawals.export_payoutbatch"),
    f"GET {OP}/withdrawals/batches/{{batch_id}}/export.xlsx": STAFF_PERM("withdrawals.export_payoutbatch"),
    f"POST {OP}/withdrawals/batches/{{batch_id}}/results": STAFF_PERM("withdrawals.change_payoutbatch"),
    # the supplier portal: the supplier's own shipments, returns, stock and cost prices
    "GET /api/v1/supplier/profile": SUPPLIER,
    "GET /api/v1/supplier/summary": SUPPLIER,
    "GET /api/v1/supplier/shipments": SUPPLIER,
    "GET /api/v1/supplier/shipments/pick-list.xlsx": SUPPLIER,
    "POST /api/v1/supplier/shipments/tracking-import": SUPPLIER,
    "GET /api/v1/supplier/shipments/{shipment_id}": OWNER("shipment", SUPPLIER),
    "POST /api/v1/supplier/shipments/{shipment_id}/ship": OWNER("shipment", SUPPLIER),
    "POST /api/v1/supplier/shipments/{shipment_id}/exceptions": OWNER("shipment", SUPPLIER),
    "GET /api/v1/supplier/exceptions": SUPPLIER,
    "GET /api/v1/supplier/returns": SUPPLIER,
    "POST /api/v1/supplier/returns/{aftersale_id}/receive": OWNER("supplier_return", SUPPLIER),
    "GET /api/v1/supplier/stock": SUPPLIER,
    "POST /api/v1/supplier/stock/receipts": SUPPLIER,
    "POST /api/v1/supplier/stock/adjustments": SUPPLIER,
    "POST /api/v1/supplier/stock/import": SUPPLIER,
    "POST /api/v1/supplier/skus/{sku_id}/cost-changes": OWNER("supplier_sku", SUPPLIER),
    "GET /api/v1/supplier/cost-changes": SUPPLIER,
    # supplier statements: the supplier's own; finance's list and payout batches
    "GET /api/v1/supplier/statements": SUPPLIER,
    "GET /api/v1/supplier/statements/{statement_id}": OWNER("statement", SUPPLIER),
    "POST /api/v1/supplier/statements/{statement_id}/confirm": OWNER("statement", SUPPLIER),
    f"GET {OP}/supplier-statements": STAFF_PERM("supply.view_supplierstatement"),
    f"GET {OP}/supplier-statements/{{statement_id}}": STAFF_PERM("supply.view_supplierstatement"),
    f"GET {OP}/supplier-statements/batches": STAFF_PERM("supply.view_supplierpayoutbatch"),
    f"POST {OP}/supplier-statements/batches": STAFF_PERM("supply.add_supplierpayoutbatch"),
    f"GET {OP}/supplier-statements/batches/{{batch_id}}": STAFF_PERM("supply.view_supplierpayoutbatch"),
    f"GET {OP}/supplier-statements/batches/{{batch_id}}/export.xlsx": STAFF_PERM("supply.export_supplierpayoutbatch"),
    f"POST {OP}/supplier-statements/batches/{{batch_id}}/results": STAFF_PERM("supply.change_supplierpayoutbatch"),
    # service levels: the scorecard of every supplier (supply chain), a supplier's own
    f"GET {OP}/supplier-scorecards": STAFF_PERM("suppliers.view_supplier"),
    f"GET {OP}/supplier-scorecards/{{supplier_id}}": STAFF_PERM("suppliers.view_supplier"),
    "GET /api/v1/supplier/scorecard": SUPPLIER,
    # product samples: a distributor's requests within its quota; supply chain's review
    "GET /api/v1/distribution/samples": DISTRIBUTOR,
    "POST /api/v1/distribution/samples": DISTRIBUTOR,
    "GET /api/v1/distribution/samples/quota": DISTRIBUTOR,
    "GET /api/v1/distribution/samples/{request_id}": DISTRIBUTOR,
    "POST /api/v1/distribution/samples/{request_id}/withdraw": DISTRIBUTOR,
    f"GET {OP}/sample-requests": STAFF_PERM("supply.view_samplerequest"),
    f"GET {OP}/sample-requests/totals": STAFF_PERM("supply.view_samplerequest"),
    f"GET {OP}/sample-requests/{{request_id}}": STAFF_PERM("supply.view_samplerequest"),
    f"POST {OP}/sample-requests/{{request_id}}/approve": STAFF_PERM("supply.review_samplerequest"),
    f"POST {OP}/sample-requests/{{request_id}}/reject": STAFF_PERM("supply.review_samplerequest"),
}
