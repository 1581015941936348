"""Stored XSS through the emulator, in a real Chromium: hostile names, descriptions and labels
run no script, make no request off the dashboard and break no CSP rule."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.hostile import PAYLOADS, hostile_id, hostile_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_hostile_images_run_no_script_and_request_nothing_off_site(
    live_server, emulator, monkeypatch, settings, alice, chromium
):
    settings.IMAGEDASH_POLL_INTERVAL_S = 1
    ids = {}
    for number, name in enumerate(sorted(PAYLOADS)):
        image_id = hostile_id(number)
        ids[name] = image_id
        monkeypatch.setitem(emulator.app.images, image_id, hostile_record(image_id, PAYLOADS[name]))
    combined = hostile_id(900)
    everything = " ".join(PAYLOADS.values())
    monkeypatch.setitem(emulator.app.images, combined, hostile_record(combined, everything))
    polling = hostile_id(901)
    monkeypatch.setitem(
        emulator.app.images,
        polling,
        hostile_record(polling, PAYLOADS["hx-get"], status="CREATING"),
    )

    origin = urlsplit(live_server.url).netloc
    context = chromium.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs: list[str] = []
    foreign: list[str] = []
    html_without_csp: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: (
            None if urlsplit(request.url).netloc == origin else foreign.append(request.url)
        ),
    )

    def check_csp(response) -> None:
        if "text/html" in (response.headers.get("content-type") or ""):
            policy = response.headers.get("content-security-policy", "")
            if "default-src 'self'" not in policy or "unsafe-inline" in policy:
                html_without_csp.append(response.url)

    page.on("response", check_csp)

    # A signed-out permalink goes to the login page, then back to the image.
    page.goto(f"{live_server.url}/images/{combined}/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/images/{combined}/")

    def visit(url: str) -> None:
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # let htmx process the page and any `load` trigger fire
        page.mouse.move(200, 200)
        page.mouse.move(400, 300)
        if page.locator("#xss").count():
            page.locator("#xss").first.click()
        page.keyboard.press("Tab")
        assert page.evaluate("window.__xss") is None, url
        assert page.evaluate("window.__violations") == [], url

    for name, image_id in ids.items():
        visit(f"{live_server.url}/images/{image_id}/")
        # The upstream text is shown as text, exactly.
        assert page.text_content("h1") == PAYLOADS[name], name
        assert page.text_content("dd.description") == PAYLOADS[name], name
        assert page.locator("#status-badge").text_content() == "READY"
    visit(f"{live_server.url}/images/{combined}/")
    visit(f"{live_server.url}/")
    visit(f"{live_server.url}/history/")

    # A polling badge next to hostile text: polls reach the dashboard only.
    visit(f"{live_server.url}/images/{polling}/")
    with page.expect_request(lambda request: "/status/" in request.url, timeout=10_000):
        pass
    page.wait_for_timeout(300)

    assert dialogs == []
    assert foreign == []
    assert html_without_csp == []
    assert page.evaluate("window.__xss") is None
    context.close()


def test_a_polling_badge_says_session_expired_and_stops_when_signed_out(
    live_server, emulator, monkeypatch, settings, alice, chromium
):
    settings.IMAGEDASH_POLL_INTERVAL_S = 0.5
    image_id = hostile_id(902)
    monkeypatch.setitem(
        emulator.app.images, image_id, hostile_record(image_id, "creating", status="CREATING")
    )
    context = chromium.new_context()
    page = context.new_page()
    polls: list[str] = []
    page.on(
        "request", lambda request: polls.append(request.url) if "/status/" in request.url else None
    )
    sign_in(page, live_server.url, f"/images/{image_id}/")
    badge = page.locator("#status-badge")
    assert badge.text_content() == "CREATING"
    page.wait_for_function("() => document.querySelectorAll('#status-badge').length === 1")
    with page.expect_request(lambda request: "/status/" in request.url, timeout=5_000):
        pass
    context.clear_cookies()  # the session ends (expired, or signed out in another tab)
    page.wait_for_function(
        "() => document.querySelector('#status-badge').textContent.includes('session expired')",
        timeout=5_000,
    )
    assert badge.get_attribute("hx-get") is None
    assert badge.get_attribute("hx-trigger") is None
    seen = len(polls)
    page.wait_for_timeout(2_000)
    assert len(polls) == seen, "polling must stop once the session is gone"
    context.close()
