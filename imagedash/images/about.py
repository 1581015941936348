"""The operators' page: which credential this worker process uses, and how it is doing."""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from imagedash import yc
from imagedash.access import staff_required
from imagedash.images.upstream import compute_client

CREDENTIAL_KINDS = {
    "none": "None configured",
    "iam_token": "IAM token (YC_TOKEN), used as is",
    "oauth_token": "OAuth token (YC_TOKEN), exchanged for IAM tokens",
    "service_account_key": "Service-account authorized key (YC_SERVICE_ACCOUNT_KEY_FILE)",
    "metadata": "VM metadata service (YC_USE_METADATA)",
}


@staff_required
@never_cache
@require_GET
def about(request: HttpRequest) -> HttpResponse:
    client = compute_client()
    info = yc.describe(client.credentials)
    renewal_newer = info.last_error_at is not None and (
        client.last_error_at is None or info.last_error_at > client.last_error_at
    )
    context = {
        "kind": CREDENTIAL_KINDS.get(info.kind, info.kind),
        "renewable": info.endpoint != "",
        "token_endpoint": info.endpoint,
        "compute_endpoint": settings.YC_COMPUTE_ENDPOINT,
        "expires_at": info.expires_at,
        "last_error": info.last_error if renewal_newer else client.last_error,
        "last_error_at": info.last_error_at if renewal_newer else client.last_error_at,
        "pid": os.getpid(),
    }
    return render(request, "images/about.html", context)
