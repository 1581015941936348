from __future__ import annotations

import secrets

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from imagedash.images import selectors, services
from imagedash.images.errors import error_page
from imagedash.images.forms import LookupForm
from imagedash.images.fragments import badge_html, image_article_html
from imagedash.images.ids import INVALID_IMAGE_ID_MESSAGE, InvalidImageId, parse_image_id
from imagedash.images.polling import next_interval

RECENT_LOOKUPS_ON_HOME = 10


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if "image_id" in request.GET:
        return lookup(request)
    _browser_key(request)
    return _home_page(request, LookupForm())


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """The lookup form's target: a valid id goes to its permalink, which records the lookup."""
    data = request.POST if request.method == "POST" else request.GET
    if "image_id" not in data:
        return redirect("images:home")
    form = LookupForm(data)
    form.full_clean()  # the form refuses nothing: the id validator below judges the text
    text = form.cleaned_data["image_id"]
    try:
        image_id = parse_image_id(text)
    except InvalidImageId:
        result = services.image_lookup(
            image_id=text, user=request.user, browser_key=_browser_key(request)
        )
        if result.refused_by_rate_limit:
            return _rate_limited_page(request)
        form.add_error("image_id", INVALID_IMAGE_ID_MESSAGE)
        return _home_page(request, form, status=400)
    return redirect("images:detail", image_id=image_id)


@require_GET
def image_detail(request: HttpRequest, image_id: str) -> HttpResponse:
    canonical = _canonical_redirect(image_id, "images:detail")
    if canonical:
        return canonical
    result = services.image_lookup(
        image_id=image_id, user=request.user, browser_key=_browser_key(request)
    )
    if result.refused_by_rate_limit:
        return _rate_limited_page(request)
    if result.refused_as_invalid_id:
        context = {"text": image_id, "message": INVALID_IMAGE_ID_MESSAGE}
        return render(request, "images/invalid_id.html", context, status=400)
    if result.image is None:
        page = error_page(result.error)
        context = {"result": result, "page": page}
        return render(request, "images/error.html", context, status=page.status)
    badge = badge_html(result.status, settings.IMAGEDASH_POLL_INTERVAL_S)
    context = {"image": result.image, "article_html": image_article_html(result, badge)}
    return render(request, "images/detail.html", context)


@require_GET
def image_status(request: HttpRequest, image_id: str) -> HttpResponse:
    """The live badge, an htmx fragment. Upstream trouble is a 200 fragment that says so (htmx
    does not swap error answers, which would leave a stale badge looking current)."""
    try:
        status = services.image_status(image_id=image_id)
    except InvalidImageId:
        response = HttpResponse(INVALID_IMAGE_ID_MESSAGE, status=400, content_type="text/plain")
        response["Cache-Control"] = "no-store"
        return response
    interval = next_interval(
        shown=request.GET.get("shown", ""),
        current=str(status.state),
        interval=request.GET.get("interval"),
    )
    response = HttpResponse(badge_html(status, interval))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def history(request: HttpRequest) -> HttpResponse:
    lookups = selectors.lookup_list_visible_to(request.user)
    page = Paginator(lookups, settings.IMAGEDASH_HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "images/history.html", {"page": page})


def _home_page(request: HttpRequest, form: LookupForm, status: int = 200) -> HttpResponse:
    recent = selectors.lookup_list_visible_to(request.user)[:RECENT_LOOKUPS_ON_HOME]
    return render(request, "images/home.html", {"form": form, "recent": recent}, status=status)


def _rate_limited_page(request: HttpRequest) -> HttpResponse:
    context = {"limit": settings.IMAGEDASH_LOOKUPS_PER_MINUTE}
    response = render(request, "images/rate_limited.html", context, status=429)
    response["Retry-After"] = "60"
    return response


def _canonical_redirect(image_id: str, view: str) -> HttpResponseRedirect | None:
    """`/images/%20fd8…/` and the like go to the id's one URL."""
    stripped = image_id.strip()
    if stripped != image_id and stripped:
        try:
            return redirect(view, image_id=parse_image_id(stripped))
        except InvalidImageId:
            return None
    return None


def _browser_key(request: HttpRequest) -> str:
    return request.session.setdefault("browser_key", secrets.token_hex(16))
