"""The package's one private cattrs converter: wire dicts <-> attrs models.

Unions of items, content parts and events are tagged on ``"type"``. The dispatch is a plain
dict lookup written here rather than ``cattrs.strategies.configure_tagged_union``: it is the
hot path of every stream, and the fallback must keep the raw dict (``UnknownItem``,
``UnknownEvent``), which the strategy's ``default=`` does not do.
Outgoing models are unstructured with ``None`` values left out, as the backend expects.

Serialisation (``to_dict``/``to_json``/``from_dict`` of every model and event): an object
structured here keeps the dict it came from (``_source``), and ``to_dict()`` gives that dict
back; objects built in Python are unstructured as requests are. A second converter does it,
so that request bodies never pick up the unknown fields of a parsed item.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._models import (
    OutputContent,
    OutputItem,
    OutputText,
    ResponseOutputRefusal,
    UnknownContent,
    UnknownItem,
)
from ._wire import Wire, use_converter

logger = logging.getLogger("codex_open_client")

_Hook = Callable[[Any, Any], Any]
_T = TypeVar("_T")

# The slot's descriptor: a direct store, cheaper than object.__setattr__(obj, "_source", ...).
_SET_SOURCE: Callable[[Any, Any], None] = vars(Wire)["_source"].__set__

#: Classes whose wire form is their ``raw`` dict (``_events`` adds ``UnknownEvent``).
RAW_CLASSES: set[type[Any]] = {UnknownItem, UnknownContent}


def type_tag(cls: type[Any]) -> str:
    """The wire ``type`` of a model or event class (the default of its ``type`` field)."""
    default = attrs.fields_dict(cls)["type"].default
    assert isinstance(default, str)
    return default


def make_converter() -> cattrs.Converter:
    """Build a converter configured for the Codex wire format."""
    # detailed_validation=False: faster hooks; a payload that does not fit its class is kept
    # whole as an Unknown* value instead of raising, so the error detail is not needed.
    converter = cattrs.Converter(detailed_validation=False)
    # Free-form JSON (tool schemas, metadata, annotations) passes through without a copy.
    converter.register_structure_hook_func(
        lambda t: t in (dict[str, Any], list[Any]), lambda value, _: value
    )
    # Content parts first: the item hooks are generated against the content-part hook.
    configure_tagged(converter, OutputContent, (OutputText, ResponseOutputRefusal), UnknownContent)
    known_items = tuple(member for member in get_args(OutputItem) if member is not UnknownItem)
    configure_tagged(converter, OutputItem, known_items, UnknownItem)
    configure_unstructure(converter)
    # Only the rate-limit snapshots have times (``from_dict`` of what ``to_dict`` wrote).
    converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    converter.register_structure_hook_factory(attrs.has, lambda cls: _structure_fn(converter, cls))
    return converter


def _scalar_hook(kind: type[Any], optional: bool) -> Callable[[Any, Any], Any]:
    """A checked pass-through for JSON scalars: much cheaper than cattrs' generic handlers."""

    def hook(value: Any, _: Any) -> Any:
        if value.__class__ is kind or (optional and value is None):
            return value
        if kind is float and value.__class__ is int:
            return float(value)
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")

    return hook


_SCALAR_HOOKS: dict[Any, Callable[[Any, Any], Any]] = {
    **{kind: _scalar_hook(kind, optional=False) for kind in (str, int, float, bool)},
    **{kind | None: _scalar_hook(kind, optional=True) for kind in (str, int, float, bool)},
}


def _structure_fn(converter: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    # The type tag was already used to pick the class, so it is not read again.
    overrides: dict[str, Any] = {}
    for attribute in attrs.fields(cls):
        if attribute.metadata.get("local") or get_origin(attribute.type) is Literal:
            overrides[attribute.name] = override(omit=True)
        elif attribute.type in _SCALAR_HOOKS:
            overrides[attribute.name] = override(struct_hook=_SCALAR_HOOKS[attribute.type])
    base = make_dict_structure_fn(cls, converter, **overrides)
    if not issubclass(cls, Wire):
        return base
    set_source = _SET_SOURCE

    def structure(data: Any, kind: Any) -> Any:
        obj = base(data, kind)
        set_source(obj, data)  # a reference for to_dict(), not a copy
        return obj

    return structure


def configure_tagged(
    converter: cattrs.Converter,
    union: Any,
    members: tuple[type[Any], ...],
    unknown: type[UnknownItem] | type[UnknownContent],
) -> None:
    """Structure ``union`` by its ``"type"`` tag; unknown or unfitting values keep the raw dict."""
    hooks: dict[str, Callable[[Any, Any], Any]] = {}

    def structure(value: Any, _: Any) -> Any:
        tag = value.get("type") if isinstance(value, dict) else None
        hook = (hooks.get(tag) or hook_for(tag)) if isinstance(tag, str) else None
        if hook is not None:
            try:
                return hook(value, None)
            except Exception as exc:  # keep what the server sent rather than fail the stream
                logger.debug("could not structure %r item (%r); kept raw", tag, exc)
        if not isinstance(value, dict):
            value = {"value": value}
        return unknown(raw=value)

    converter.register_structure_hook(union, structure)
    classes = {type_tag(cls): cls for cls in members}

    def hook_for(tag: str) -> Callable[[Any, Any], Any] | None:
        # Hooks are generated on first use, which keeps `import codex_open_client` fast.
        cls = classes.get(tag)
        if cls is None:
            return None
        hook = hooks[tag] = converter.get_structure_hook(cls)
        return hook


def configure_unstructure(converter: cattrs.Converter, *, sources: bool = False) -> None:
    """Unstructure attrs models to wire dicts: ``type`` first, ``None`` left out.

    With ``sources``, an object parsed from a dict gives that dict back (``to_dict()``).
    """

    def factory(cls: type[Any]) -> Callable[[Any], Any]:
        if cls in RAW_CLASSES:
            return lambda obj: obj.raw
        attrs.resolve_types(cls)
        fields = attrs.fields(cls)
        local: dict[str, Any] = {
            a.name: override(omit=True) for a in fields if a.metadata.get("local")
        }
        base = make_dict_unstructure_fn(cls, converter, **local)

        def unstructure(obj: Any) -> dict[str, Any]:
            data = base(obj)
            out: dict[str, Any] = {"type": data.pop("type")} if "type" in data else {}
            out.update((key, value) for key, value in data.items() if value is not None)
            return out

        if not sources or not issubclass(cls, Wire):
            return unstructure
        custom = getattr(cls, "_to_wire", None)
        if custom is not None:  # a class whose wire form is not its fields (catalog Model)
            return custom  # type: ignore[no-any-return]
        if all(a.name != "_source" for a in fields):

            def from_source(obj: Any) -> Any:
                try:
                    source = obj._source
                except AttributeError:  # built in Python (or a copy): no source
                    return unstructure(obj)
                return unstructure(obj) if source is None else source

            return from_source
        # The source is a field (Response): kept by attrs.evolve, so it may be older than the
        # object. Fields the object changed win; everything else is the source's.
        wire = [a for a in fields if not a.metadata.get("local")]
        names = {a.name for a in wire}
        defaults = {a.name: a.default for a in wire}

        def merged(obj: Any) -> Any:
            source = obj._source
            known = unstructure(obj)
            if source is None:
                return known
            out: dict[str, Any] = {}
            for key, value in source.items():
                if key not in names:
                    out[key] = value
                elif key in known:
                    new = known[key]
                    out[key] = value if value == new else new  # 1 stays 1, not 1.0
                elif value is None:
                    out[key] = None
            for key, new in known.items():
                if key not in source and not _is_default(getattr(obj, key), defaults[key]):
                    out[key] = new
            return out

        return merged

    converter.register_unstructure_hook_factory(attrs.has, factory)


def _is_default(value: Any, default: Any) -> bool:
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return bool(value == default.factory())
    return bool(value == default)


converter = make_converter()


def unstructure(obj: Any) -> Any:
    """Turn a model (or a list of models) into wire JSON values."""
    return converter.unstructure(obj)


# ----------------------------------------------------------------------- serialisation


def _make_dict_converter() -> cattrs.Converter:
    dict_converter = cattrs.Converter()
    dict_converter.register_unstructure_hook(datetime, datetime.isoformat)
    configure_unstructure(dict_converter, sources=True)
    return dict_converter


_dict_converter = _make_dict_converter()


def _copy(value: Any) -> Any:
    """A copy of a JSON value: new dicts and lists all the way down (mappings become dicts)."""
    if isinstance(value, Mapping):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    return value


def wire_dict(obj: Any) -> Any:
    """``obj``'s wire dict, shared with it and its source: never change it (``to_dict`` copies)."""
    return _dict_converter.unstructure(obj)


def to_dict(obj: Any) -> dict[str, Any]:
    """``obj.to_dict()``: a new wire dict (see ``Wire.to_dict``)."""
    data: dict[str, Any] = _copy(wire_dict(obj))
    return data


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """``obj.to_json()``: its wire dict as JSON text, non-ASCII kept as is."""
    if indent is not None and (not isinstance(indent, int) or isinstance(indent, bool)):
        raise TypeError(f"indent must be an int or None, got {type(indent).__name__}")
    separators = (",", ":") if indent is None else None
    return json.dumps(wire_dict(obj), ensure_ascii=False, indent=indent, separators=separators)


def from_dict(cls: type[_T], data: Mapping[str, Any]) -> _T:
    """``cls.from_dict(data)``: structure a copy of ``data``, which ``to_dict()`` gives back."""
    name = cls.__name__
    if not isinstance(data, Mapping):
        raise TypeError(f"{name}.from_dict() takes a dict, got {type(data).__name__}")
    try:
        copied: dict[str, Any] = _copy(data)
    except RecursionError:
        raise ValueError(f"{name}.from_dict(): the dict is nested too deeply") from None
    if cls in RAW_CLASSES:
        return cls(raw=copied)  # type: ignore[call-arg]
    custom = getattr(cls, "_from_wire", None)
    if custom is not None:
        try:
            return custom(copied)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise ValueError(f"{name}.from_dict(): {exc}") from None
    attrs.resolve_types(cls)  # type: ignore[type-var]
    kind = attrs.fields_dict(cls).get("type")  # type: ignore[arg-type]
    tag = kind.default if kind is not None and get_origin(kind.type) is Literal else None
    if tag is not None and "type" in copied and copied["type"] != tag:
        raise ValueError(f"{name}.from_dict(): the dict is of type {copied['type']!r}, not {tag!r}")
    try:
        return converter.structure(copied, cls)
    except Exception as exc:
        raise ValueError(f"{name}.from_dict(): the dict does not fit ({exc!r})") from exc


use_converter(to_dict, to_json, from_dict)
