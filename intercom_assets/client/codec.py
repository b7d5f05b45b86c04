"""JSON on the hot path: orjson, with the standard library for what orjson refuses.

Decoding API bodies and encoding the `raw` columns are most of a sync's Python time, and
orjson does both 2-5x faster. The few things it rejects take a slow path instead of failing a
batch: escaped lone surrogates (decoded, then replaced by "?" since neither polars nor DuckDB
can store them), `NaN` literals, and integers beyond 64 bits when encoding.
"""

import hashlib
import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises ValueError (json.JSONDecodeError) when neither decoder can."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _storable(json.loads(data))


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is (the API's own encoding is UTF-8)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


# hashlib lets go of the GIL for inputs of 2 KiB or more. Hashing a payload takes ~2 us; getting
# the GIL back while other threads decode pages takes up to the 5 ms switch interval, which
# made digests most of the search consumer's time in a no-op re-run (`benchmarks/noop.py`).
# Fed in smaller pieces, the digest (the same bytes, the same value) keeps the GIL.
_UNLOCKED_HASH_BYTES = 2_000


def digest(value: Any) -> str:
    """A short hash of `value`'s canonical JSON (sorted keys): equal content, equal digest."""
    try:
        canonical = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        canonical = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    if len(canonical) < _UNLOCKED_HASH_BYTES:
        return hashlib.blake2b(canonical, digest_size=16).hexdigest()
    hasher = hashlib.blake2b(digest_size=16)
    view = memoryview(canonical)
    for start in range(0, len(view), _UNLOCKED_HASH_BYTES):
        hasher.update(view[start : start + _UNLOCKED_HASH_BYTES])
    return hasher.hexdigest()


def _storable(value: Any) -> Any:
    """`value` with every string made encodable as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode()
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value
