from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "imagedash.images"
    label = "images"
    default_auto_field = "django.db.models.BigAutoField"
