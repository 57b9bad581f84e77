from django.urls import path

from . import views

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
]
