"""Example JSON documents for a JSON schema: what the fake backend answers to structured output.

The documents are deterministic (same schema, same document) and valid for the strict
schemas the backend accepts: objects, arrays, scalars, enums, consts, ``anyOf``, ``allOf``
and local ``$ref``s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["example_document"]

_STRING_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 12


def example_document(schema: Mapping[str, Any]) -> Any:
    """A value that matches ``schema`` (a JSON schema dict), built from its first choices."""
    return _example(schema, schema, depth=0, name="value")


def _resolve(root: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = root
    for key in ref.lstrip("#").strip("/").split("/") if ref != "#" else ():
        node = node[key.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise ValueError(f"$ref {ref!r} does not point at a schema")
    return node


def _example(schema: Mapping[str, Any], root: Mapping[str, Any], *, depth: int, name: str) -> Any:
    if depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        target = _resolve(root, str(schema["$ref"]))
        return _example(target, root, depth=depth + 1, name=name)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            # Prefer a real value over null: the document says more that way.
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return _example(chosen, root, depth=depth + 1, name=name)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return _example({**merged, **rest}, root, depth=depth + 1, name=name)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            key: _example(value, root, depth=depth + 1, name=key)
            for key, value in properties.items()
        }
    if kind == "array":
        items = schema.get("items")
        count = max(1, int(schema.get("minItems", 1)))
        if not isinstance(items, Mapping):
            return []
        return [_example(items, root, depth=depth + 1, name=name) for _ in range(count)]
    if kind == "string":
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _STRING_FORMATS:
            return _STRING_FORMATS[fmt]
        return f"example {name}"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    return None
