"""The JSON layer: orjson when installed, the stdlib otherwise, with the same answers."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from codex_open_client import _json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
STDLIB = (_json._loads_stdlib, _json._dumps_stdlib)
BACKENDS = [
    pytest.param(STDLIB, id="stdlib"),
    pytest.param((_json.loads, _json.dumps), id="active"),
]


def _strip_surrogates(value: Any) -> Any:
    """Hypothesis text may hold lone surrogates, which no UTF-8 encoder accepts."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_strip_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_strip_surrogates(k): _strip_surrogates(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=120, deadline=None)
@given(value=JSON_VALUES)
def test_both_paths_round_trip_like_the_stdlib(backend: Any, value: Any) -> None:
    loads, dumps = backend
    value = _strip_surrogates(value)
    encoded = dumps(value)
    assert isinstance(encoded, bytes)
    assert loads(encoded) == value == json.loads(encoded)
    assert loads(encoded.decode()) == value


@pytest.mark.parametrize("backend", BACKENDS)
def test_what_orjson_refuses_the_stdlib_decides(backend: Any) -> None:
    """NaN, integers beyond 64 bits and non-string keys: the same answers on both paths."""
    loads, dumps = backend
    assert math.isnan(loads("NaN"))
    assert loads(str(2**64 - 1)) == 2**64 - 1
    assert dumps({1: 2}) == b'{"1":2}'
    assert dumps(2**70) == str(2**70).encode()
    assert dumps({"é": "ü"}) == '{"é":"ü"}'.encode()


def test_the_known_differences_are_exactly_the_documented_ones() -> None:
    """orjson itself decodes a huge integer as a float and encodes UUIDs and plain enums."""
    orjson = pytest.importorskip("orjson")
    big = "123456789012345678901234567890"
    assert type(orjson.loads(big)) is float
    assert _json._loads_stdlib(big) == int(big)
    for value in (uuid.UUID(int=7), Plain.ONE):
        assert orjson.dumps(value)
        with pytest.raises(TypeError):
            _json._dumps_stdlib(value)


class Plain(enum.Enum):
    ONE = 1


class Text(str, enum.Enum):
    RED = "red"


class Number(int):
    def __repr__(self) -> str:
        return "Number()"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("backend", BACKENDS)
def test_what_the_stdlib_refuses_or_encodes_its_way_is_the_same_on_both_paths(
    backend: Any,
) -> None:
    """Datetimes and dataclasses are refused; str/int/dict/list subclasses encode as the stdlib."""
    _, dumps = backend
    for refused in (datetime.datetime(2026, 1, 1), datetime.date(2026, 1, 1), Point(1)):
        with pytest.raises(TypeError):
            dumps({"value": refused})
    assert dumps([Text.RED, Number(3), True]) == _json._dumps_stdlib([Text.RED, Number(3), True])
    assert dumps([Text.RED, Number(3)]) == b'["red",3]'


@pytest.mark.parametrize("backend", BACKENDS)
def test_deep_nesting_and_bad_text_are_value_errors(backend: Any) -> None:
    """No RecursionError escapes: a document nested 100,000 deep is malformed like any other."""
    loads, _ = backend
    for bad in ("[" * 100_000, "[" * 100_000 + "]" * 100_000, "{", "", "nope"):
        with pytest.raises(ValueError):
            loads(bad)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lone_surrogate_cannot_be_encoded(backend: Any) -> None:
    _, dumps = backend
    with pytest.raises(UnicodeEncodeError):
        dumps({"text": "\ud800"})


@pytest.mark.parametrize(("setting", "expected"), [("stdlib", "stdlib"), ("", "orjson")])
def test_the_environment_chooses_the_path(setting: str, expected: str) -> None:
    """CODEX_OPEN_CLIENT_JSON=stdlib turns orjson off (CI runs the stream tests both ways)."""
    pytest.importorskip("orjson")
    env = {**os.environ, "CODEX_OPEN_CLIENT_JSON": setting}
    out = subprocess.run(
        [sys.executable, "-c", "from codex_open_client import _json; print(_json.BACKEND)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert out.stdout.strip() == expected
