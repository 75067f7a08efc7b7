"""JSON schemas for function tools and structured output, in the backend's strict dialect.

Strict mode (``"strict": true``) accepts a subset of JSON Schema: every object lists all of
its properties in ``required`` and sets ``"additionalProperties": false``; a ``$ref`` may
not carry sibling keys; ``anyOf`` is supported where ``oneOf`` is not. ``strict_schema``
rewrites any schema into that shape and ``type_schema`` builds one from a Python type (without
pydantic for the common types). Describing a Python function as a tool, and binding a tool
call's arguments to it, is ``_functions``' job.

Nothing here does I/O. pydantic is optional and only imported when a type needs it.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import enum
import inspect
import threading
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

__all__ = [
    "annotated_description",
    "class_description",
    "remember",
    "strict_schema",
    "type_adapter",
    "type_name",
    "type_schema",
]

NoneType = type(None)

# A schema must say what it accepts through one of these: strict mode rejects `{}`.
_TYPED_KEYS = ("type", "properties", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")
_SEQUENCES: tuple[Any, ...] = (
    list,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Iterable,
    collections.abc.Collection,
)
_MAPPINGS: tuple[Any, ...] = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)
# TypedDict key qualifiers that get_type_hints(include_extras=True) keeps; by name, since
# typing_extensions has its own (ReadOnly before Python 3.13).
_KEY_QUALIFIERS = frozenset({"Required", "NotRequired", "ReadOnly"})
_PRIMITIVES: dict[Any, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}
_JSON_TYPES: tuple[tuple[type[Any], str], ...] = (
    (bool, "boolean"),  # before int: bool is an int subclass
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (NoneType, "null"),
)

# --------------------------------------------------------------------------- strict_schema


class _FreeFormError(TypeError):
    """A free-form dict, which only a non-strict schema can describe."""


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` that the backend accepts with ``"strict": true``.

    Objects get ``"additionalProperties": false`` and every property in ``required``;
    ``oneOf`` becomes ``anyOf``; a one-member ``allOf`` is merged into its parent; a
    ``$ref`` with sibling keys is inlined; ``"default": null`` is dropped; a root ``$ref``
    is inlined so the root is the referenced schema. The input is not modified. Raises
    ``TypeError`` for what strict mode cannot express: free-form objects (``dict[str, X]``),
    schemas without a type (``Any``) and references outside the document.
    """
    if not isinstance(schema, Mapping):
        raise TypeError(f"a JSON schema must be a dict, got {type(schema).__name__}")
    root = copy.deepcopy(dict(schema))
    result = _Strict(root).node(root, "#", frozenset(), frozenset())
    for ref in _refs(result):
        _resolve(result, ref, "#")  # every reference still points into the result
    return result


class _Strict:
    """One ``strict_schema`` run; ``root`` is the (copied) input, to resolve ``$ref``."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root

    def node(
        self, schema: Any, path: str, inlining: frozenset[str], chain: frozenset[str]
    ) -> dict[str, Any]:
        """The strict form of the schema at ``path``.

        ``inlining`` holds the references being inlined by this node's ancestors (to stop
        a recursive definition from being inlined forever); ``chain`` those already
        inlined at this very node (to detect a ``$ref`` cycle).
        """
        if not isinstance(schema, dict):
            raise TypeError(f"{path}: a schema must be a JSON object, got {schema!r}")
        node = dict(schema)
        ref = node.get("$ref")
        if ref is not None and len(node) > 1:
            return self._ref_with_siblings(node, path, inlining, chain)
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:
            del node["allOf"]
            member = all_of[0]
            if not isinstance(member, dict):
                raise TypeError(f"{path}/allOf/0: a schema must be a JSON object")
            # The parent's keys (description, default) are the more specific ones.
            return self.node({**member, **node}, path, inlining, chain)
        if "oneOf" in node:
            if "anyOf" in node:
                raise TypeError(f"{path}: strict mode cannot combine oneOf with anyOf")
            node["anyOf"] = node.pop("oneOf")
            # An OpenAPI keyword that only makes sense next to oneOf.
            node.pop("discriminator", None)
        if "default" in node and node["default"] is None:
            del node["default"]
        if not any(key in node for key in _TYPED_KEYS):
            raise TypeError(
                f"{path}: the schema {schema!r} has no type (is it Any, or an untyped "
                "value?); strict mode needs a concrete type for every value"
            )
        if ref is not None:
            if not isinstance(ref, str):
                raise TypeError(f"{path}: $ref must be a string, got {ref!r}")
            _resolve(self.root, ref, path)
            return node
        for key in ("$defs", "definitions"):
            defs = node.get(key)
            if isinstance(defs, dict):
                node[key] = {
                    name: self.node(sub, f"{path}/{key}/{name}", frozenset(), frozenset())
                    for name, sub in defs.items()
                }
        if _is_object(node):
            self._object(node, path, inlining)
        items = node.get("items")
        if isinstance(items, dict):
            node["items"] = self.node(items, f"{path}/items", inlining, frozenset())
        elif isinstance(items, list):  # the draft-7 tuple form
            node["items"] = self._list(items, f"{path}/items", inlining)
        for key in ("prefixItems", "anyOf", "allOf"):
            members = node.get(key)
            if isinstance(members, list):
                node[key] = self._list(members, f"{path}/{key}", inlining)
        return node

    def _list(self, members: list[Any], path: str, inlining: frozenset[str]) -> list[Any]:
        return [
            self.node(member, f"{path}/{index}", inlining, frozenset())
            for index, member in enumerate(members)
        ]

    def _ref_with_siblings(
        self, node: dict[str, Any], path: str, inlining: frozenset[str], chain: frozenset[str]
    ) -> dict[str, Any]:
        # Strict mode rejects keys next to a $ref, and pydantic puts a field's description
        # and default there. Inlining the target keeps them and is what the backend is known
        # to accept; the inlined copy's own references still point into the root's $defs.
        ref = node.pop("$ref")
        if not isinstance(ref, str):
            raise TypeError(f"{path}: $ref must be a string, got {ref!r}")
        if ref in chain:
            raise TypeError(f"{path}: the reference {ref!r} refers to itself")
        if ref in inlining:
            # A definition that refers to itself with siblings: inlining would not end.
            # A one-member anyOf keeps the siblings, and the reference stays a reference.
            node["anyOf"] = [{"$ref": ref}]
            _resolve(self.root, ref, path)
            return self.node(node, path, inlining, chain)
        target = _resolve(self.root, ref, path)
        if not isinstance(target, dict):
            raise TypeError(f"{path}: {ref!r} does not point to a schema")
        if ref == "#" or ref == "#/":
            target = {k: v for k, v in target.items() if k not in ("$defs", "definitions")}
        merged = {**copy.deepcopy(target), **node}
        return self.node(merged, path, inlining | {ref}, chain | {ref})

    def _object(self, node: dict[str, Any], path: str, inlining: frozenset[str]) -> None:
        properties = node.get("properties")
        extra = node.get("additionalProperties", False)
        if not properties and extra is not False:
            raise _FreeFormError(
                f"{path}: strict mode cannot express an object with free-form keys "
                "(a dict[str, X] or an untyped dict): the backend demands "
                '"additionalProperties": false. Use a class with named fields, or a list '
                "of key/value objects"
            )
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            raise TypeError(f"{path}/properties must be a JSON object")
        node["properties"] = {
            name: self.node(sub, f"{path}/properties/{name}", inlining, frozenset())
            for name, sub in properties.items()
        }
        # Extra keys next to named ones (pydantic's extra="allow") cannot be expressed;
        # the named fields can, so the extras are simply not offered.
        node["additionalProperties"] = False
        node["required"] = list(properties)


def _is_object(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    return (
        kind == "object" or (isinstance(kind, list) and "object" in kind) or ("properties" in node)
    )


def _resolve(root: Any, ref: str, path: str) -> Any:
    """The value a local JSON pointer ``ref`` (``#/$defs/Name``) points to in ``root``."""
    if not ref.startswith("#"):
        raise TypeError(f"{path}: only references within the schema are supported, got {ref!r}")
    target = root
    pointer = ref[1:]
    if pointer in ("", "/"):
        return target
    if not pointer.startswith("/"):
        raise TypeError(f"{path}: unsupported reference {ref!r}")
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise TypeError(f"{path}: the reference {ref!r} does not resolve")
    return target


def _refs(value: Any) -> list[str]:
    """Every ``$ref`` string in a schema."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# --------------------------------------------------------------------------- type_schema


def type_schema(tp: Any) -> dict[str, Any]:
    """A strict JSON schema for the Python type ``tp``.

    Built without pydantic for ``str``, ``int``, ``float``, ``bool``, ``None``, ``list[X]``
    (``List``, ``Sequence``), ``tuple[X, ...]``, fixed tuples, ``Literal``, unions and
    ``Optional``, ``Enum`` subclasses, dataclasses and TypedDicts (as ``$defs``, recursion
    allowed) and ``Annotated[X, "description"]``. Other types go through
    ``pydantic.TypeAdapter`` when pydantic is installed. ``dict[str, X]`` raises
    ``TypeError``: strict mode only allows objects with named keys.
    """
    builder = _Builder()
    schema = builder.schema(tp)
    if builder.defs:
        schema = {**schema, "$defs": builder.defs}
    return strict_schema(schema)


class _Builder:
    """Builds one schema; named classes are collected in ``defs`` and referenced.

    With ``strict=False`` a ``dict[str, X]`` becomes an object with ``additionalProperties``.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self.defs: dict[str, dict[str, Any]] = {}
        self.names: dict[Any, str] = {}

    def schema(self, tp: Any) -> dict[str, Any]:
        """The schema of ``tp``, referring to ``self.defs`` for named classes."""
        origin = get_origin(tp)
        args = get_args(tp)
        if origin is Annotated:
            schema = self.schema(args[0])
            description = annotated_description(tp)
            return {**schema, "description": description} if description else schema
        if _is_key_qualifier(origin):
            return self.schema(args[0])
        if tp is None or tp is NoneType:
            return {"type": "null"}
        if tp is Any or tp is object:
            raise TypeError(
                f"{type_name(tp)} has no JSON schema: strict mode needs a concrete type"
            )
        if _is_primitive(tp):
            return {"type": _PRIMITIVES[tp]}
        if hasattr(tp, "__supertype__"):  # typing.NewType
            return self.schema(tp.__supertype__)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            schema = _values_schema([member.value for member in tp], tp)
            description = class_description(tp)
            return {**schema, "description": description} if description else schema
        if origin is Literal:
            values = [a.value if isinstance(a, enum.Enum) else a for a in args]
            return _values_schema(values, tp)
        if origin in _UNIONS:
            members: list[dict[str, Any]] = []
            for arg in args:
                schema = self.schema(arg)
                if list(schema) == ["anyOf"]:
                    members.extend(schema["anyOf"])
                else:
                    members.append(schema)
            return {"anyOf": members}
        if origin in _SEQUENCES and args:
            return {"type": "array", "items": self.schema(args[0])}
        if origin is tuple and args:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.schema(args[0])}
            if args == ((),):  # tuple[()]
                return {"type": "array", "maxItems": 0}
            return {
                "type": "array",
                "prefixItems": [self.schema(arg) for arg in args],
                "minItems": len(args),
                "maxItems": len(args),
            }
        if _is_dataclass_type(tp) or _is_typeddict(tp):
            return self._ref(tp)
        if origin in _MAPPINGS or tp in _MAPPINGS or (origin is None and _is_class(tp, dict)):
            if not self.strict:
                value_type: Any = args[1] if len(args) == 2 else Any
                if value_type is Any or value_type is object:
                    return {"type": "object"}
                return {"type": "object", "additionalProperties": self.schema(value_type)}
            raise _FreeFormError(
                f"{type_name(tp)}: strict mode cannot express a dict with free-form keys "
                "(the backend demands additionalProperties: false); use a dataclass or a "
                "TypedDict with named fields, or a list of key/value objects"
            )
        if tp in _SEQUENCES or tp is tuple or origin in _SEQUENCES or origin is tuple:
            raise TypeError(f"{type_name(tp)} needs an item type, e.g. list[str]")
        return self._pydantic(tp)

    def _ref(self, cls: type[Any]) -> dict[str, Any]:
        name = self.names.get(cls)
        if name is None:
            name = self._unique(cls.__name__)
            self.names[cls] = name
            self.defs[name] = {}  # reserved first: the class may refer to itself
            self.defs[name] = self._class_schema(cls)
        return {"$ref": "#/$defs/" + _pointer_escape(name)}

    def _class_schema(self, cls: type[Any]) -> dict[str, Any]:
        hints = _hints(cls)
        if _is_dataclass_type(cls):
            names = [f.name for f in dataclasses.fields(cls) if f.init]
        else:
            names = list(hints)
        properties = {name: self.schema(hints[name]) for name in names}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
        description = class_description(cls)
        if description:
            schema["description"] = description
        return schema

    def _unique(self, base: str) -> str:
        name, number = base, 1
        while name in self.defs:
            number += 1
            name = f"{base}_{number}"
        return name

    def _pydantic(self, tp: Any) -> dict[str, Any]:
        try:
            import pydantic
        except ImportError:
            raise TypeError(
                f"no JSON schema for {type_name(tp)} without pydantic: install "
                "'codex-open-client[pydantic]' or pass an explicit JSON schema"
            ) from None
        try:
            schema: dict[str, Any] = type_adapter(tp).json_schema(ref_template="#/$defs/{model}")
        except (pydantic.PydanticUserError, TypeError, ValueError) as exc:
            raise TypeError(f"no JSON schema for {type_name(tp)}: {exc}") from exc
        defs: dict[str, Any] = schema.pop("$defs", {})
        # pydantic's definition names are unique within its own schema only.
        renames: dict[str, str] = {}
        for name in defs:
            renames[name] = self._unique(name)
            self.defs[renames[name]] = {}  # reserved, so the next name differs
        rewrite = {
            "#/$defs/" + _pointer_escape(old): "#/$defs/" + _pointer_escape(new)
            for old, new in renames.items()
        }
        for old, new in renames.items():
            self.defs[new] = _rewrite_refs(defs[old], rewrite)
        result: dict[str, Any] = _rewrite_refs(schema, rewrite)
        return result


def _rewrite_refs(value: Any, rewrite: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: rewrite.get(item, item)
            if key == "$ref" and isinstance(item, str)
            else _rewrite_refs(item, rewrite)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewrite_refs(item, rewrite) for item in value]
    return value


def _values_schema(values: list[Any], tp: Any) -> dict[str, Any]:
    """``enum`` schemas for Literal and Enum values, one per JSON type."""
    groups: dict[str, list[Any]] = {}
    for value in values:
        kind = next((name for cls, name in _JSON_TYPES if isinstance(value, cls)), None)
        if kind is None:
            raise TypeError(
                f"{type_name(tp)}: the value {value!r} is not a JSON string, number, "
                "boolean or null"
            )
        groups.setdefault(kind, []).append(value)
    schemas = [{"type": kind, "enum": group} for kind, group in groups.items()]
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _is_key_qualifier(origin: Any) -> bool:
    return origin is not None and getattr(origin, "_name", None) in _KEY_QUALIFIERS


def _is_typeddict(tp: Any) -> bool:
    # typing.is_typeddict() does not know typing_extensions.TypedDict, which pydantic
    # demands before Python 3.12.
    return typing.is_typeddict(tp) or (
        _is_class(tp, dict)
        and hasattr(tp, "__required_keys__")
        and hasattr(tp, "__optional_keys__")
    )


def _is_primitive(tp: Any) -> bool:
    return any(tp is primitive for primitive in _PRIMITIVES)


def _pointer_escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _is_class(tp: Any, base: type[Any] | tuple[type[Any], ...]) -> bool:
    return isinstance(tp, type) and issubclass(tp, base)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def type_name(tp: Any) -> str:
    """A short readable name: ``list[Point]``, not ``list[my.module.Point]``."""
    origin = get_origin(tp)
    if origin is None:
        if isinstance(tp, type):
            return tp.__qualname__
        return repr(tp).replace("typing.", "")
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in get_args(tp))}]"
    if origin is Annotated:
        return type_name(get_args(tp)[0])
    if origin in _UNIONS:
        return " | ".join(type_name(arg) for arg in get_args(tp))
    head = getattr(origin, "__name__", None) or repr(origin).replace("typing.", "")
    args = ("..." if arg is Ellipsis else type_name(arg) for arg in get_args(tp))
    return f"{head}[{', '.join(args)}]"


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception as exc:  # NameError for a forward reference, TypeError, ...
        name = getattr(obj, "__qualname__", repr(obj))
        raise TypeError(f"cannot resolve the type hints of {name}: {exc}") from exc


def class_description(cls: Any) -> str | None:
    """The docstring a class wrote itself, cleaned; None for none or a generated one."""
    if not isinstance(cls, type) or get_origin(cls) is not None:
        return None  # list[X] would answer with list's docstring
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    # dataclasses write "Name(field: type, ...)"; old Enums "An enumeration."
    if _is_dataclass_type(cls) and doc.startswith(f"{cls.__name__}("):
        return None
    if _is_class(cls, enum.Enum) and doc == "An enumeration.":
        return None
    return inspect.cleandoc(doc)


def annotated_description(tp: Any) -> str | None:
    """The first string in ``Annotated[X, ...]``'s metadata, cleaned, or None."""
    if get_origin(tp) is not Annotated:
        return None
    for meta in getattr(tp, "__metadata__", ()):
        if isinstance(meta, str) and meta.strip():
            return inspect.cleandoc(meta)
    return None


# pydantic TypeAdapters are slow to build: one per type, for schemas and validation alike.
T = TypeVar("T")
_ADAPTERS: dict[Any, Any] = {}
_CACHE_SIZE = 256
_CACHE_LOCK = threading.Lock()  # sync clients' loop threads may fill a cache at once


def remember(cache: dict[Any, T], key: Any, value: T) -> T:
    """Store ``value`` in the bounded ``cache`` (the oldest entry goes first); return it."""
    with _CACHE_LOCK:
        if len(cache) >= _CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = value
    return value


def type_adapter(tp: Any) -> Any:
    """A cached ``pydantic.TypeAdapter`` for ``tp`` (not cached when ``tp`` is unhashable)."""
    try:
        adapter = _ADAPTERS.get(tp)
    except TypeError:  # unhashable, e.g. Annotated with a dict in its metadata
        from pydantic import TypeAdapter

        return TypeAdapter(tp)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = remember(_ADAPTERS, tp, TypeAdapter(tp))
    return adapter
