from django.conf import settings
from django.http import HttpRequest


def imagedash(request: HttpRequest) -> dict[str, object]:
    return {"demo_mode": settings.IMAGEDASH_DEMO}
