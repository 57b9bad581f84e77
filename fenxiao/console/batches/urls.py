from django.urls import path

from . import views

urlpatterns = [
    path("near-expiry/", views.near_expiry, name="batches_near_expiry"),
    path("<int:batch_id>/clearance/", views.clearance, name="batches_clearance"),
    path("trace/", views.trace, name="batches_trace"),
    path("<int:batch_id>/recall/", views.recall, name="batches_recall"),
]
