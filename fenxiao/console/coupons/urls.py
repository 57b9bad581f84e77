from django.urls import path

from . import views

urlpatterns = [
    path("<int64:coupon_id>/segment/", views.issue_to_segment, name="coupon_segment"),
]
