"""JSON decoding/encoding: fast path and the payloads only the slow path accepts."""

import hashlib
import json

import pytest

from intercom_assets.client import codec
from intercom_assets.client.codec import dumps, loads


def test_round_trips_unicode_compactly():
    assert dumps(loads('{"body": "שלום 👋", "n": [1, 2.5, null]}'.encode())) == (
        '{"body":"שלום 👋","n":[1,2.5,null]}'
    )


def test_an_escaped_lone_surrogate_becomes_a_storable_question_mark():
    assert loads(b'{"body": "a\\ud800b", "\\udfff": 1}') == {"body": "a?b", "?": 1}


def test_nan_literals_decode_and_encode_as_null():
    assert dumps(loads(b'{"score": NaN}')) == '{"score":null}'


def test_integers_beyond_64_bits_encode_exactly():
    assert dumps({"n": 2**70}) == '{"n": 1180591620717411303424}'


@pytest.mark.parametrize("body", [b'{"a": ', b"<html>502</html>", b"\xff\xfe{}"])
def test_undecodable_bodies_raise_value_error(body):
    with pytest.raises(ValueError):
        loads(body)


@pytest.mark.parametrize("size", [10, 1_990, 2_000, 5_000])
def test_a_digest_is_the_blake2b_of_the_sorted_compact_json_at_any_size(size):
    value = {"b": "x" * size, "a": [1, {"d": None, "c": "é"}]}
    canonical = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    expected = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
    assert codec.digest(value) == expected
