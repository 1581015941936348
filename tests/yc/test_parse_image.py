import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from imagedash.yc import BadResponse, Image, ImageStatus, parse_image
from imagedash.yc.images import parse_timestamp, thaw

FIXTURES = sorted((Path(__file__).parents[2] / "imagedash/emulator/fixtures/images").glob("*.json"))


def test_there_are_real_fixtures_to_parse():
    assert len(FIXTURES) >= 12


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_parses(path: Path):
    data = json.loads(path.read_text())
    image = parse_image(data)
    assert image.id == data["id"] == path.stem
    assert image.name == data["name"]
    assert image.storage_size == int(data["storageSize"])
    assert image.min_disk_size == int(data["minDiskSize"])
    assert image.status is ImageStatus.READY
    assert image.os_type in ("LINUX", "WINDOWS")
    assert image.created_at is not None and image.created_at.tzinfo is UTC
    assert thaw(image.raw) == data


def test_int64_strings_become_ints():
    image = parse_image(
        {
            "id": "a1",
            "storageSize": "7633633280",
            "minDiskSize": "8589934592",
            "size": "9223372036854775807",
        }
    )
    assert image.storage_size == 7633633280
    assert image.min_disk_size == 8589934592
    assert image.size == 2**63 - 1


def test_int64_that_is_not_a_number_is_left_out():
    assert parse_image({"id": "a1", "storageSize": "lots"}).storage_size is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-02-07T09:43:13Z", datetime(2019, 2, 7, 9, 43, 13, tzinfo=UTC)),
        ("2019-02-07T09:43:13.123Z", datetime(2019, 2, 7, 9, 43, 13, 123000, tzinfo=UTC)),
        ("2019-02-07T09:43:13.123456Z", datetime(2019, 2, 7, 9, 43, 13, 123456, tzinfo=UTC)),
        ("2021-10-04T16:38:54.345168059Z", datetime(2021, 10, 4, 16, 38, 54, 345168, tzinfo=UTC)),
        ("2021-10-04T19:38:54+03:00", datetime(2021, 10, 4, 16, 38, 54, tzinfo=UTC)),
    ],
)
def test_timestamps_with_0_to_9_fractional_digits(text, expected):
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset().total_seconds() == 0


def test_a_timestamp_that_is_not_rfc3339_is_left_out():
    assert parse_image({"id": "a1", "createdAt": "yesterday"}).created_at is None


def test_a_minimal_object_with_only_an_id():
    image = parse_image({"id": "fd8minimal"})
    assert image == Image(id="fd8minimal", raw=image.raw, content_hash=image.content_hash)
    assert image.name is None and image.labels == {} and image.product_ids == ()
    assert image.status is None and image.pooled is False


def test_an_unknown_status_is_kept_as_text():
    image = parse_image({"id": "a1", "status": "MIGRATING"})
    assert image.status == "MIGRATING"
    assert not image.is_transitional


def test_unknown_extra_fields_are_kept_in_raw():
    data = {"id": "a1", "hardwareGeneration": {"generation2Features": {}}, "newField": [1, 2]}
    image = parse_image(data)
    assert thaw(image.raw) == data


def test_the_image_is_immutable():
    image = parse_image({"id": "a1", "labels": {"k": "v"}})
    with pytest.raises(AttributeError):
        image.name = "x"
    with pytest.raises(TypeError):
        image.labels["k"] = "changed"
    with pytest.raises(TypeError):
        image.raw["id"] = "changed"


@pytest.mark.parametrize("data", [[], "text", {"name": "no id"}, {"id": ""}, {"id": 5}])
def test_json_that_is_not_an_image_is_a_bad_response(data):
    with pytest.raises(BadResponse):
        parse_image(data)
