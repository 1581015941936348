from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("imagedash.images.urls")),
    path("admin/", admin.site.urls),
]
