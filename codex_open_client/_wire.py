"""The base of every model and event: ``to_dict()``, ``to_json()`` and ``from_dict()``.

An object parsed from the backend keeps a reference to the dict it came from (``_source``, a
slot: no copy, no field), so ``to_dict()`` gives back exactly what was sent, unknown fields
included. Objects built in Python have none and are unstructured by the converter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["Wire", "use_converter"]

_T = TypeVar("_T", bound="Wire")

# The converter's three functions, set by ``_serde`` as it loads (``import codex_open_client``
# loads it): the converter knows every model, so the models' base cannot import it.
_to_dict: Callable[[Any], dict[str, Any]]
_to_json: Callable[..., str]
_from_dict: Callable[[type[Any], Mapping[str, Any]], Any]


def use_converter(
    to_dict: Callable[[Any], dict[str, Any]],
    to_json: Callable[..., str],
    from_dict: Callable[[type[Any], Mapping[str, Any]], Any],
) -> None:
    """Give ``Wire``'s methods the converter's functions (called once, by ``_serde``)."""
    global _to_dict, _to_json, _from_dict
    _to_dict, _to_json, _from_dict = to_dict, to_json, from_dict


class Wire:
    """Serialisation shared by every model and event (see ``_serde`` for the rules)."""

    __slots__ = ("_source",)
    _source: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """This object as its wire JSON dict (a new one): what the backend sent, unknown
        fields kept, or for an object built in Python the dict a request would carry.

        ``json.dumps(obj.to_dict())`` works; ``from_dict()`` turns the dict back into an
        equal object.
        """
        return _to_dict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as a JSON string: compact, or pretty with ``indent`` spaces."""
        return _to_json(self, indent=indent)

    @classmethod
    def from_dict(cls: type[_T], data: Mapping[str, Any]) -> _T:
        """Build this class from its wire dict (what ``to_dict()`` gives, or the backend sent).

        The dict is copied. Unknown fields are kept for ``to_dict()``. Raises ``TypeError``
        when ``data`` is not a mapping and ``ValueError`` when it does not fit the class.
        """
        result: _T = _from_dict(cls, data)
        return result
