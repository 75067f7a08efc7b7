"""Python functions as tools: a function's tool schema, and a call's arguments bound to it.

``function_tool_parts`` describes a function (its name, its docstring without the Google-style
``Args:`` section, a strict JSON schema of its parameters from their type hints and that
section); ``bind_arguments`` turns a tool call's decoded arguments into the keyword arguments
to call it with, converted to the hinted types. The schemas themselves come from ``_schema``.

Nothing here does I/O. pydantic is optional and only imported when a type needs it.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, get_args, get_origin

from ._schema import (
    _MAPPINGS,
    _SEQUENCES,
    _UNIONS,
    NoneType,
    _Builder,
    _FreeFormError,
    _hints,
    _is_class,
    _is_dataclass_type,
    _is_key_qualifier,
    _is_primitive,
    _is_typeddict,
    annotated_description,
    strict_schema,
    type_adapter,
    type_name,
)

__all__ = ["bind_arguments", "function_tool_parts"]

_ARGS_HEADERS = frozenset({"args:", "arguments:", "parameters:", "params:"})
_ARG_LINE = re.compile(r"\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:(.*)$")

# --------------------------------------------------------------------------- functions


def function_tool_parts(
    fn: Callable[..., Any],
) -> tuple[str, str | None, dict[str, Any], bool]:
    """``(name, description, parameters, strict)`` describing ``fn`` as a function tool.

    The description is the docstring without its ``Args:`` section; each parameter's
    description comes from ``Annotated[X, "..."]`` or else from that section (Google
    style). Strict mode lists every parameter in ``required``, those with a default too:
    the model always passes a value. A ``dict[str, X]`` anywhere in the parameters cannot
    be expressed in strict mode (it demands closed objects), so such a function gets a
    non-strict schema (``strict`` False) instead. Raises ``TypeError`` for
    ``*args``/``**kwargs``, positional-only parameters, a parameter without a type hint, or
    an unsupported type.
    """
    try:
        return _function_tool_parts(fn, strict=True)
    except _FreeFormError:
        return _function_tool_parts(fn, strict=False)


def _function_tool_parts(
    fn: Callable[..., Any], *, strict: bool
) -> tuple[str, str | None, dict[str, Any], bool]:
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str) or not callable(fn):
        raise TypeError(f"expected a function with a __name__, got {fn!r}")
    description, arg_docs = _split_docstring(inspect.getdoc(fn) or "")
    builder = _Builder(strict=strict)
    properties: dict[str, Any] = {}
    for parameter, hint in _parameters(fn):
        schema = builder.schema(hint)
        text = annotated_description(hint) or arg_docs.get(parameter.name)
        if text:
            schema = {**schema, "description": text}
        properties[parameter.name] = schema
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if builder.defs:
        parameters["$defs"] = builder.defs
    return name, description, strict_schema(parameters) if strict else parameters, strict


def _parameters(fn: Callable[..., Any]) -> list[tuple[inspect.Parameter, Any]]:
    """``fn``'s parameters with their type hints; bound methods have no ``self``."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {name}: {exc}") from exc
    # A callable object: its __call__ carries the hints (the signature already drops self).
    hints = _hints(fn if inspect.isroutine(fn) or inspect.isclass(fn) else type(fn).__call__)
    result = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            star = "*" if parameter.kind is parameter.VAR_POSITIONAL else "**"
            raise TypeError(
                f"{name}: {star}{parameter.name} cannot be a tool parameter; name every parameter"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"{name}: the positional-only parameter {parameter.name!r} cannot be "
                "passed by keyword"
            )
        if parameter.name not in hints:
            raise TypeError(
                f"{name}: the parameter {parameter.name!r} needs a type hint "
                "(it decides the JSON schema the model must follow)"
            )
        result.append((parameter, hints[parameter.name]))
    return result


def _split_docstring(doc: str) -> tuple[str | None, dict[str, str]]:
    """The docstring without its ``Args:`` section, and that section's descriptions."""
    kept: list[str] = []
    params: dict[str, str] = {}
    lines = doc.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.strip().lower() not in _ARGS_HEADERS:
            kept.append(line)
            continue
        header_indent = _indent(line)
        entry_indent: int | None = None
        current: str | None = None
        while index < len(lines):
            line = lines[index]
            if line.strip() and _indent(line) <= header_indent:
                break  # the next section
            index += 1
            if not line.strip():
                continue
            match = _ARG_LINE.match(line.strip())
            if match and entry_indent in (None, _indent(line)):
                entry_indent = _indent(line)
                current = match.group(1)
                params[current] = match.group(2).strip()
            elif current is not None:
                params[current] = f"{params[current]} {line.strip()}".strip()
    description = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return description or None, {k: v for k, v in params.items() if v}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# --------------------------------------------------------------------------- arguments


def bind_arguments(fn: Callable[..., Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments to call ``fn`` with, from a tool call's decoded arguments.

    Values are converted to the parameters' types: enums from their values, dataclasses
    and TypedDicts from objects (nested, in lists too), ints to floats, and, with pydantic
    installed, pydantic models and other types through pydantic. Other values pass through.
    Raises ``TypeError`` for unknown or missing arguments and for values that do not fit.
    """
    name = getattr(fn, "__name__", repr(fn))
    if not isinstance(arguments, Mapping):
        raise TypeError(f"{name}() arguments must be a JSON object, got {arguments!r}")
    parameters = _parameters(fn)
    known = {parameter.name for parameter, _ in parameters}
    unknown = [key for key in arguments if key not in known]
    if unknown:
        raise TypeError(f"{name}() got unexpected arguments: {_names(unknown)}")
    missing = [
        parameter.name
        for parameter, _ in parameters
        if parameter.name not in arguments and parameter.default is parameter.empty
    ]
    if missing:
        raise TypeError(f"{name}() is missing required arguments: {_names(missing)}")
    return {
        parameter.name: _convert(hint, arguments[parameter.name], parameter.name)
        for parameter, hint in parameters
        if parameter.name in arguments
    }


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _convert(tp: Any, value: Any, where: str) -> Any:
    """``value`` (decoded JSON) as an instance of ``tp``, where one is needed."""
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated or _is_key_qualifier(origin):
        return _convert(args[0], value, where)
    if hasattr(tp, "__supertype__"):
        return _convert(tp.__supertype__, value, where)
    if tp is float:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return float(value) if is_int else value
    if tp is Any or tp is object or tp is None or tp is NoneType or _is_primitive(tp):
        return value
    if _is_class(tp, enum.Enum):
        if isinstance(value, tp):
            return value
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in tp)
            raise TypeError(
                f"{where}: {value!r} is not a valid {tp.__name__} (one of {allowed})"
            ) from None
    if origin is Literal:
        return value
    if origin in _UNIONS:
        return _convert_union(tp, args, value, where)
    if origin in _SEQUENCES or origin in (set, frozenset, collections.abc.Set):
        items = _expect_list(value, tp, where)
        item_type = args[0] if args else Any
        converted = [_convert(item_type, v, f"{where}[{i}]") for i, v in enumerate(items)]
        if origin is frozenset:
            return frozenset(converted)
        if origin in (set, collections.abc.Set):
            return set(converted)
        return converted
    if origin is tuple:
        items = _expect_list(value, tp, where)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(items))
        if len(items) != len(args) and args != ((),):
            raise TypeError(f"{where}: expected {len(args)} items, got {len(items)}")
        pairs = enumerate(zip(args, items, strict=False))
        return tuple(_convert(a, v, f"{where}[{i}]") for i, (a, v) in pairs)
    if origin in _MAPPINGS:
        if not isinstance(value, dict):
            raise TypeError(f"{where}: expected an object, got {type(value).__name__}")
        value_type = args[1] if len(args) == 2 else Any
        return {k: _convert(value_type, v, f"{where}.{k}") for k, v in value.items()}
    if _is_dataclass_type(tp):
        return _to_dataclass(tp, value, where)
    if _is_typeddict(tp):
        return _to_typeddict(tp, value, where)
    return _via_pydantic(tp, value, where)


def _convert_union(tp: Any, members: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and (None in members or NoneType in members):
        return None
    candidates = [member for member in members if _fits(member, value)]
    if not candidates:  # let the members' own conversions say what is wrong
        candidates = [member for member in members if member not in (None, NoneType)]
    problems: list[TypeError] = []
    for member in candidates:
        try:
            return _convert(member, value, where)
        except TypeError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    raise TypeError(f"{where}: {value!r} does not fit {type_name(tp)}")


def _fits(tp: Any, value: Any) -> bool:
    """Whether ``value`` has the JSON shape of ``tp``: picks a union's member."""
    origin = get_origin(tp)
    if origin is Annotated or _is_key_qualifier(origin):
        return _fits(get_args(tp)[0], value)
    if tp is Any or tp is object:
        return True
    if tp is None or tp is NoneType:
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if _is_class(tp, enum.Enum):
        return isinstance(value, tp) or any(member.value == value for member in tp)
    if origin is Literal:
        return any((a.value if isinstance(a, enum.Enum) else a) == value for a in get_args(tp))
    if origin in _UNIONS:
        return any(_fits(member, value) for member in get_args(tp))
    if origin in _SEQUENCES or origin is tuple or tp in _SEQUENCES or tp is tuple:
        return isinstance(value, list)
    if _is_dataclass_type(tp):
        if isinstance(value, tp):
            return True
        names = {f.name for f in dataclasses.fields(tp) if f.init}
        return isinstance(value, dict) and set(value) <= names
    if _is_typeddict(tp):
        return isinstance(value, dict) and set(value) <= set(_hints(tp))
    if origin in _MAPPINGS or _is_class(tp, dict):
        return isinstance(value, dict)
    if isinstance(tp, type) and isinstance(value, tp):
        return True
    return not _is_class(tp, (str, int, float, bool))


def _expect_list(value: Any, tp: Any, where: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{where}: expected an array for {type_name(tp)}, got {type(value).__name__}"
        )
    return list(value)


def _to_dataclass(cls: type[Any], value: Any, where: str) -> Any:
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise TypeError(
            f"{where}: expected an object for {cls.__name__}, got {type(value).__name__}"
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [key for key in value if key not in fields]
    if unknown:
        raise TypeError(f"{where}: unexpected keys for {cls.__name__}: {_names(unknown)}")
    missing = [
        name
        for name, f in fields.items()
        if name not in value
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise TypeError(f"{where}: {cls.__name__} is missing keys: {_names(missing)}")
    hints = _hints(cls)
    kwargs = {key: _convert(hints[key], item, f"{where}.{key}") for key, item in value.items()}
    return cls(**kwargs)


def _to_typeddict(cls: Any, value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(
            f"{where}: expected an object for {cls.__name__}, got {type(value).__name__}"
        )
    hints = _hints(cls)
    unknown = [key for key in value if key not in hints]
    if unknown:
        raise TypeError(f"{where}: unexpected keys for {cls.__name__}: {_names(unknown)}")
    missing = [key for key in cls.__required_keys__ if key not in value]
    if missing:
        raise TypeError(f"{where}: {cls.__name__} is missing keys: {_names(sorted(missing))}")
    return {key: _convert(hints[key], item, f"{where}.{key}") for key, item in value.items()}


def _via_pydantic(tp: Any, value: Any, where: str) -> Any:
    # Only a type the schema came from pydantic for needs it; if pydantic is not even
    # loaded, no pydantic model can exist, so the value passes through.
    if "pydantic" not in sys.modules:
        return value
    try:
        import pydantic
    except ImportError:
        return value
    try:
        if _is_class(tp, pydantic.BaseModel):
            return tp.model_validate(value)
        return type_adapter(tp).validate_python(value)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(value)'}: {error['msg']}"
            for error in exc.errors(include_url=False)[:3]
        )
        raise TypeError(f"{where}: not a valid {type_name(tp)}: {problems}") from exc
    except pydantic.PydanticUserError:
        return value
