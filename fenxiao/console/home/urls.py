from django.urls import path

from . import views

urlpatterns = [
    path("me/permissions/", views.my_permissions, name="my_permissions"),
]
