"""What the templates may contain, and where upstream text ends up in the rendered pages: always
as escaped text inside an `hx-disable` element, and never around the live badge."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.hostile import PAYLOADS, hostile_id, hostile_record

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html")) + sorted(
    (ROOT / "imagedash").rglob("templates/**/*.html")
)
PYTHON = sorted((ROOT / "imagedash").rglob("*.py"))


def _template_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", TEMPLATES, ids=_template_id)
def test_templates_have_no_unescaped_output_nor_inline_code(path: Path):
    text = path.read_text()
    assert not re.search(r"\|\s*safe", text), "no |safe / |safeseq"
    assert "autoescape off" not in text
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I):
        assert "src=" in match[1], f"inline script in {path.name}"
        assert not match[2].strip(), f"inline script body in {path.name}"
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", text, re.I), "inline event handler"
    assert not re.search(r"\bhx-on", text), "hx-on evaluates code"
    assert not re.search(r"<[^>]*\sstyle\s*=", text, re.I), "inline style (CSP blocks it)"
    assert "javascript:" not in text.lower()
    assert "js:" not in text


def test_there_are_templates_to_check():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "detail.html", "badge.html", "login.html"} <= names


@pytest.mark.parametrize("path", PYTHON, ids=_template_id)
def test_our_code_builds_no_html(path: Path):
    text = path.read_text()
    for forbidden in ["mark_safe", "format_html", "SafeString", "SafeData", "|safe", "safestring"]:
        assert forbidden not in text, f"{forbidden} in {path.name}"


def test_htmx_is_configured_for_the_csp():
    base = (ROOT / "templates" / "base.html").read_text()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config
    import json

    values = json.loads(config[1])
    assert values["includeIndicatorStyles"] is False
    assert values["allowEval"] is False
    assert values["allowScriptTags"] is False
    assert values["selfRequestsOnly"] is True


VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Placement(HTMLParser):
    """Records, for each piece of text or attribute value containing `marker`, whether an
    ancestor carries hx-disable; and whether the badge sits inside one."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.exposed: list[str] = []
        self.tags_from_upstream: list[str] = []
        self.badge_disabled: bool | None = None
        self.marked = 0

    def _disabled(self) -> bool:
        return any("hx-disable" in attrs for _, attrs in self.stack)

    def _in(self, tag: str) -> bool:
        return any(name == tag for name, _ in self.stack)

    def _in_badge(self) -> bool:
        return any(attrs.get("id") == "status-badge" for _, attrs in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") == "status-badge":
            self.badge_disabled = self._disabled()
        for name, _value in attrs:
            if self.marker in name:
                self.tags_from_upstream.append(f"<{tag} {name}>")
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.marker not in data:
            return
        self.marked += 1
        if self._in("title") or self._in_badge():
            return
        if not self._disabled():
            self.exposed.append(data.strip()[:80])


def _placement(html: str, marker: str) -> _Placement:
    parser = _Placement(marker)
    parser.feed(html)
    return parser


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_upstream_text_is_escaped_inside_hx_disable_and_never_around_the_badge(
    client, emulator, monkeypatch, name
):
    marker = "MARKER" + name
    payload = PAYLOADS[name] + marker
    image_id = hostile_id(sorted(PAYLOADS).index(name))
    monkeypatch.setitem(emulator.app.images, image_id, hostile_record(image_id, payload))
    detail = client.get(f"/images/{image_id}/")
    assert detail.status_code == 200
    html = detail.content.decode()
    parsed = _placement(html, marker)
    assert parsed.marked >= 5  # name, folder, family, description, labels, raw JSON
    assert parsed.exposed == []
    assert parsed.tags_from_upstream == []
    assert parsed.badge_disabled is False
    # The payload's markup never reaches the page as markup.
    if "<" in PAYLOADS[name]:
        assert PAYLOADS[name] not in html
    for page in ["/", "/history/"]:
        listed = _placement(client.get(page).content.decode(), marker)
        assert listed.marked >= 1, page
        assert listed.exposed == [] and listed.tags_from_upstream == [], page


@pytest.mark.django_db
def test_hostile_status_text_in_the_badge_is_escaped(client, emulator, monkeypatch):
    image_id = hostile_id(999)
    payload = PAYLOADS["attr-break-json"] + PAYLOADS["img-onerror"]
    monkeypatch.setitem(
        emulator.app.images, image_id, hostile_record(image_id, "x", status=payload)
    )
    badge = client.get(f"/images/{image_id}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert set(re.findall(r"<([a-zA-Z]+)", badge)) <= {"span", "time"}
    assert "&lt;img" in badge
    assert _placement(badge, "alert").tags_from_upstream == []
