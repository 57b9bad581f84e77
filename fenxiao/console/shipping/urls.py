from django.urls import path

from . import views

urlpatterns = [
    path("ship-import/", views.ship_import, name="ship_import"),
    path("ship-import/apply/", views.ship_import_apply, name="ship_import_apply"),
    path("ship-import/template.xlsx", views.ship_template, name="ship_template"),
    path("packing-list/", views.packing_list, name="packing_list"),
]
