"""The console's own pages under /admin/console/ (namespace `console`); each area keeps its list."""

from django.urls import include, path

app_name = "console"

urlpatterns = [
    path("", include("fenxiao.console.home.urls")),
    path("jobs/", include("fenxiao.console.jobs.urls")),
    path("orders/", include("fenxiao.console.shipping.urls")),
    path("batches/", include("fenxiao.console.batches.urls")),
    path("coupons/", include("fenxiao.console.coupons.urls")),
    path("suppliers/scorecard/", include("fenxiao.console.scorecard.urls")),
]
