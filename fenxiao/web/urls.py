from django.urls import path

from . import views, views_earnings, views_orders, views_withdrawals

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<int:product_id>/", views.product, name="product"),
    path("s/<str:code>", views.share_shop, name="share_shop"),
    path("s/<str:code>/p/<int:product_id>", views.share_product, name="share_product"),
    path("s/<str:code>/qr.png", views.share_qr, name="share_qr"),
    path("login/", views.login_view, name="login"),
    path("register/", views.register_view, name="register"),
    path("logout/", views.logout_view, name="logout"),
    path("me/", views.me, name="me"),
    path("apply/", views.apply, name="apply"),
    path("dc/", views.distributor_center, name="distributor_center"),
    path("dc/orders/", views_orders.shop_orders, name="shop_orders"),
    path("dc/earnings/", views_earnings.earnings, name="earnings"),
    path("dc/earnings/orders/<int:order_id>/", views_earnings.earnings_order, name="earnings_order"),
    path("dc/earnings/statement/", views_earnings.earnings_statement, name="earnings_statement"),
    path("cart/", views_orders.cart, name="cart"),
    path("cart/add/", views_orders.cart_add, name="cart_add"),
    path("cart/<int:sku_id>/", views_orders.cart_line, name="cart_line"),
    path("checkout/", views_orders.checkout, name="checkout"),
    path("orders/", views_orders.order_list, name="orders"),
    path("orders/<int:order_id>/", views_orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/pay/", views_orders.order_pay, name="order_pay"),
    path("orders/<int:order_id>/cancel/", views_orders.order_cancel, name="order_cancel"),
    path("orders/<int:order_id>/receive/", views_orders.order_receive, name="order_receive"),
    path("orders/<int:order_id>/aftersales/<int:aftersale_id>/return/", views_orders.aftersale_return, name="aftersale_return"),
    path("orders/<int:order_id>/aftersales/<int:aftersale_id>/withdraw/", views_orders.aftersale_withdraw, name="aftersale_withdraw"),
    path("orders/lines/<int:line_id>/aftersale/", views_orders.aftersale_new, name="aftersale_new"),
    path("me/kyc/", views_withdrawals.kyc, name="kyc"),
    path("me/withdraw/", views_withdrawals.withdraw, name="withdraw"),
    path("me/withdraw/quote/", views_withdrawals.withdraw_quote, name="withdraw_quote"),
    path("me/withdrawals/", views_withdrawals.withdrawal_list, name="withdrawals"),
    path("me/withdrawals/<int:withdrawal_id>/", views_withdrawals.withdrawal_detail, name="withdrawal_detail"),
    path("me/withdrawals/<int:withdrawal_id>/cancel/", views_withdrawals.withdrawal_cancel, name="withdrawal_cancel"),
]
