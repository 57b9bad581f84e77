from django.urls import path

from . import views

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("<int64:job_id>/", views.job_detail, name="job"),
    path("<int64:job_id>/progress/", views.job_progress, name="job_progress"),
    path("<int64:job_id>/download/", views.job_download, name="job_download"),
    path("start/<str:kind>/", views.start_job, name="start_job"),
    path("export/<slug:key>/", views.start_export, name="export"),
]
