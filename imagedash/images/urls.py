from django.urls import path, register_converter

from imagedash.images import about, views
from imagedash.images.ids import ImageIdConverter

register_converter(ImageIdConverter, "image_id")

app_name = "images"
urlpatterns = [
    # The status poll first: it is by far the most requested URL.
    path("images/<image_id:image_id>/status/", views.image_status, name="status"),
    path("", views.home, name="home"),
    path("images/", views.lookup, name="lookup"),
    path("images/<image_id:image_id>/", views.image_detail, name="detail"),
    path("history/", views.history, name="history"),
    path("about/", about.about, name="about"),
]
