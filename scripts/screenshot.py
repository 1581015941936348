"""Screenshot dashboard pages with Debian's headless chromium (for docs/screenshot.png).

make run &   # or PORT=8517 scripts/run.sh: demo mode, with the demo user
.venv/bin/python scripts/screenshot.py http://127.0.0.1:8000 fd8tekibj7eld4eqtaed docs/a.png
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("image_id")
    parser.add_argument("output")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=600, help="viewport (the page may be taller)")
    parser.add_argument("--full-page", action="store_true")
    parser.add_argument("--open-raw", action="store_true", help="expand the raw-JSON disclosure")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password-file", default=".demo_password")
    options = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": options.width, "height": options.height})
        path = f"/images/{options.image_id}/"
        page.goto(f"{options.base_url.rstrip('/')}{path}")  # the login page, then back here
        with open(options.password_file) as password:
            page.fill("input[name=username]", options.username)
            page.fill("input[name=password]", password.read().strip())
        page.click("button[type=submit]")
        page.wait_for_url(f"**{path}")
        page.wait_for_load_state("networkidle")
        if options.open_raw:
            page.locator("details.raw-json summary").click()
        page.screenshot(path=options.output, full_page=options.full_page)
        browser.close()


if __name__ == "__main__":
    main()
