from django.urls import path

from . import views

urlpatterns = [
    path("", views.scorecard_list, name="supplier_scorecards"),
    path("platform/", views.scorecard_trend, name="platform_scorecard"),
    path("<int64:supplier_id>/", views.scorecard_trend, name="supplier_scorecard"),
]
