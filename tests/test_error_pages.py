"""Django's own error pages come in the site's frame, with a way back."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_path_that_is_no_page_is_a_404_in_the_site_frame(client):
    response = client.get("/images/a/b/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "imagedash" in html and 'href="/"' in html and "Not found" in html


def test_the_500_page_needs_no_context():
    from django.template.loader import get_template

    html = get_template("500.html").render({})
    assert "Something went wrong" in html and "Traceback" not in html
