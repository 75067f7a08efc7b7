"""The package's one private cattrs converter: wire dicts <-> attrs models.

Unions of items, content parts and events are tagged on ``"type"``. The dispatch is a plain
dict lookup written here rather than ``cattrs.strategies.configure_tagged_union``: it is the
hot path of every stream, and the fallback must keep the raw dict (``UnknownItem``,
``UnknownEvent``), which the strategy's ``default=`` does not do.
Outgoing models are unstructured with ``None`` values left out, as the backend expects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

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

logger = logging.getLogger("codex_open_client")

_Hook = Callable[[Any, Any], Any]


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
    return make_dict_structure_fn(cls, converter, **overrides)


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
        return unknown(type=str(tag or ""), raw=value)

    converter.register_structure_hook(union, structure)
    classes = {type_tag(cls): cls for cls in members}

    def hook_for(tag: str) -> Callable[[Any, Any], Any] | None:
        # Hooks are generated on first use, which keeps `import codex_open_client` fast.
        cls = classes.get(tag)
        if cls is None:
            return None
        hook = hooks[tag] = converter.get_structure_hook(cls)
        return hook


def configure_unstructure(converter: cattrs.Converter) -> None:
    """Unstructure attrs models to wire dicts: ``type`` first, ``None`` left out."""

    def factory(cls: type[Any]) -> Callable[[Any], Any]:
        if cls in (UnknownItem, UnknownContent):
            return lambda obj: obj.raw  # UnknownEvent registers the same in _events
        attrs.resolve_types(cls)
        local: dict[str, Any] = {
            a.name: override(omit=True) for a in attrs.fields(cls) if a.metadata.get("local")
        }
        base = make_dict_unstructure_fn(cls, converter, **local)

        def unstructure(obj: Any) -> dict[str, Any]:
            data = base(obj)
            out: dict[str, Any] = {"type": data.pop("type")} if "type" in data else {}
            out.update((key, value) for key, value in data.items() if value is not None)
            return out

        return unstructure

    converter.register_unstructure_hook_factory(attrs.has, factory)


converter = make_converter()


def unstructure(obj: Any) -> Any:
    """Turn a model (or a list of models) into wire JSON values."""
    return converter.unstructure(obj)
