"""Who gets in: the trusted SSO header, staff-only views, and what an htmx request sees when its
session is gone (a fragment that says so, since htmx would follow a login redirect into the
badge and does not swap 4xx answers)."""

from __future__ import annotations

import copy
import ipaddress
import time
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend, RemoteUserBackend
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

SESSION_EXPIRED_FRAGMENT = "partials/session_expired.html"

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Only staff may see `view`: others get a 403 (and signed-out visitors the login page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("This page is for staff only.")
        return view(request, *args, **kwargs)

    return wrapped


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    """Whether the direct peer (REMOTE_ADDR, never X-Forwarded-For) is a trusted proxy."""
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in network for network in _networks(tuple(settings.IMAGEDASH_TRUSTED_PROXIES)))


class RecentUsers:
    """Users as loaded for a session, kept for a few seconds in this process.

    Every request that asks `request.user` loads the user, and a status poll asks (the login
    check): a team's open tabs poll every few seconds. A user changed or deactivated through the
    ORM is dropped here at once (this process) and at most `ttl` seconds later elsewhere.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._users: dict[Any, tuple[float, Any]] = {}

    def get(self, user_id: Any, load: Callable[[Any], Any]) -> Any:
        entry = self._users.get(user_id)
        if entry is not None and entry[0] > time.monotonic():
            return copy.copy(entry[1])  # a request may change its own copy
        user = load(user_id)
        if user is not None:
            if len(self._users) > 10_000:
                self._users.clear()
            self._users[user_id] = (time.monotonic() + self.ttl, user)
        return copy.copy(user)

    def forget(self, user_id: Any) -> None:
        self._users.pop(user_id, None)

    def clear(self) -> None:
        self._users.clear()


recent_users = RecentUsers()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
@receiver(post_delete, sender=settings.AUTH_USER_MODEL)
def _forget_changed_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    recent_users.forget(instance.pk)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend, loading session users through `recent_users`."""

    def get_user(self, user_id: Any) -> Any:
        return recent_users.get(user_id, super().get_user)


class TrustedHeaderBackend(RemoteUserBackend):
    """Signs in the user a trusted proxy names, creating them on first sight (not staff, and
    with no usable password: they sign in through the proxy only)."""

    def get_user(self, user_id: Any) -> Any:
        return recent_users.get(user_id, super().get_user)

    def configure_user(self, request: HttpRequest, user: Any, created: bool = True) -> Any:
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user


class TrustedHeaderMiddleware(MiddlewareMixin):
    """Single sign-on behind a proxy: a request from a trusted proxy carrying
    IMAGEDASH_TRUSTED_USER_HEADER is signed in as that user (created on first sight by
    RemoteUserBackend). The header from anyone else is ignored. Password sign-in keeps working
    alongside: a request without the header keeps its session."""

    def process_request(self, request: HttpRequest) -> None:
        header = settings.IMAGEDASH_TRUSTED_USER_HEADER
        if not header:
            return
        key = "HTTP_" + header.upper().replace("-", "_")
        username = request.META.get(key, "").strip()
        if not username or not peer_is_trusted_proxy(request):
            return
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            return
        if len(username) > 150:
            return
        if request.user.is_authenticated and request.user.get_username() == username:
            return
        user = auth.authenticate(request, remote_user=username)
        if user is not None:
            auth.login(request, user)
            request.user = user


def session_expired_fragment(request: HttpRequest) -> HttpResponse:
    """A 200 fragment, without any polling trigger, that tells the user to reload."""
    response = HttpResponse(render_to_string(SESSION_EXPIRED_FRAGMENT, request=request))
    response["Cache-Control"] = "no-store"
    return response


class HtmxSessionExpiredMiddleware(MiddlewareMixin):
    """Turns LoginRequiredMiddleware's redirect to the login page into the session-expired
    fragment for htmx requests. Listed after LoginRequiredMiddleware; sees its answer on the way
    out."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code != 302:
            return response
        login_path = resolve_url(settings.LOGIN_URL)
        if response.get("Location", "").split("?", 1)[0] != login_path:
            return response
        htmx = getattr(request, "htmx", None)
        # A history restore (back/forward) wants a whole page: the login page is the right one.
        if htmx and not htmx.history_restore_request:
            response = session_expired_fragment(request)
        patch_vary_headers(response, ["HX-Request"])
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: usually a stale page whose session ended. htmx gets a fragment it
    swaps in; a plain form post gets a 403 page saying the same."""
    if getattr(request, "htmx", False):
        return session_expired_fragment(request)
    return render(request, "403_csrf.html", status=403)
