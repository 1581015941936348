"""The one image-id validator, used wherever an id enters: the form, URLs, the status endpoint."""

from __future__ import annotations

import re

INVALID_IMAGE_ID_MESSAGE = "not a valid image id: ids are letters and digits, at most 50 characters"
_IMAGE_ID = re.compile(r"[a-z0-9]{1,50}")


class InvalidImageId(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(INVALID_IMAGE_ID_MESSAGE)
        self.text = text


def parse_image_id(text: str) -> str:
    """The id in `text` with surrounding whitespace trimmed; `InvalidImageId` if it is not one."""
    image_id = text.strip()
    if not _IMAGE_ID.fullmatch(image_id):
        raise InvalidImageId(text)
    return image_id


class ImageIdConverter:
    """Matches any single path segment so that a malformed id reaches the view and gets a 400
    with the validator's message, instead of an unexplained 404."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return parse_image_id(value)
