"""JSON schemas for tools and structured output (strict_schema, type_schema), and functions as
tools (function_tool_parts, bind_arguments)."""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any, List, Literal, Optional, Union  # noqa: UP035

import pydantic
import pytest
from typing_extensions import TypedDict

from codex_open_client._functions import bind_arguments, function_tool_parts
from codex_open_client._schema import strict_schema, type_schema

from .conftest import run_without_pydantic

# --------------------------------------------------------------------------- helpers


def resolve(root: dict[str, Any], ref: str) -> Any:
    """A tiny JSON-pointer resolver, independent of the code under test."""
    assert ref.startswith("#"), ref
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a schema document."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


def assert_strict(schema: dict[str, Any]) -> None:
    """What the backend checks in strict mode, and that every $ref resolves."""
    for node in nodes(schema):
        if node.get("type") == "object" or "properties" in node:
            assert node.get("additionalProperties") is False, node
            assert node.get("required") == list(node.get("properties", {})), node
        if "$ref" in node:
            assert list(node) == ["$ref"] or set(node) == {"$ref", "$defs"}, node
            assert isinstance(resolve(schema, node["$ref"]), dict), node["$ref"]
        assert "oneOf" not in node
        assert not ("default" in node and node["default"] is None)


# --------------------------------------------------------------------------- types


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    """An enum with values of two JSON types."""

    A = "a"
    B = 2


@dataclasses.dataclass
class Point:
    """A point on the plane."""

    x: float
    y: float


@dataclasses.dataclass
class Tree:
    name: Annotated[str, "the node's name"]
    children: list[Tree]
    color: Color | None = None


class Address(TypedDict):
    street: str
    origin: Point


class Person(pydantic.BaseModel):
    """Someone."""

    name: str
    address: Address
    nickname: str | None = None


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (List[str], {"type": "array", "items": {"type": "string"}}),  # noqa: UP006
        (Sequence[bool], {"type": "array", "items": {"type": "boolean"}}),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (
            Literal["a", 1],
            {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "integer", "enum": [1]}]},
        ),
        (Optional[int], {"anyOf": [{"type": "integer"}, {"type": "null"}]}),  # noqa: UP045
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        (Union[int, str], {"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        (
            Union[int, Optional[str]],  # noqa: UP045
            {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
        ),
        (Color, {"type": "string", "enum": ["red", "green"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
        (Literal[Color.RED], {"type": "string", "enum": ["red"]}),
        (Annotated[int, "how many"], {"type": "integer", "description": "how many"}),
    ],
)
def test_type_schema_without_pydantic(tp: Any, expected: dict[str, Any]) -> None:
    assert type_schema(tp) == expected


def test_enum_with_mixed_values_and_its_docstring() -> None:
    assert type_schema(Mixed) == {
        "anyOf": [{"type": "string", "enum": ["a"]}, {"type": "integer", "enum": [2]}],
        "description": "An enum with values of two JSON types.",
    }


def test_dataclass_is_the_root_object_with_its_docstring() -> None:
    assert type_schema(Point) == {
        "type": "object",
        "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
        "required": ["x", "y"],
        "additionalProperties": False,
        "description": "A point on the plane.",
        "$defs": {
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                "required": ["x", "y"],
                "additionalProperties": False,
                "description": "A point on the plane.",
            }
        },
    }


def test_recursive_dataclass_uses_defs_and_refs() -> None:
    schema = type_schema(Tree)
    assert_strict(schema)
    assert schema["type"] == "object"
    assert schema["properties"]["children"] == {"type": "array", "items": {"$ref": "#/$defs/Tree"}}
    assert schema["properties"]["name"] == {"type": "string", "description": "the node's name"}
    # The generated "Tree(name: ..., ...)" docstring is not a description.
    assert "description" not in schema["$defs"]["Tree"]
    assert schema["properties"]["color"] == {
        "anyOf": [{"type": "string", "enum": ["red", "green"]}, {"type": "null"}]
    }


def test_typeddict_nested_with_a_dataclass() -> None:
    schema = type_schema(list[Address])
    assert_strict(schema)
    assert schema["items"] == {"$ref": "#/$defs/Address"}
    address = schema["$defs"]["Address"]
    assert address["properties"]["origin"] == {"$ref": "#/$defs/Point"}
    assert address["required"] == ["street", "origin"]
    assert schema["$defs"]["Point"]["properties"] == {
        "x": {"type": "number"},
        "y": {"type": "number"},
    }


def test_annotated_description_on_a_class_inlines_the_reference() -> None:
    schema = type_schema(list[Annotated[Point, "a corner"]])
    assert_strict(schema)
    assert schema["items"]["description"] == "a corner"
    assert schema["items"]["properties"] == {"x": {"type": "number"}, "y": {"type": "number"}}


def test_two_classes_with_one_name_get_two_definitions() -> None:
    first = dataclasses.make_dataclass("Item", [("a", int)])
    second = dataclasses.make_dataclass("Item", [("b", str)])
    schema = type_schema(tuple[first, second])  # type: ignore[valid-type]
    assert_strict(schema)
    assert sorted(schema["$defs"]) == ["Item", "Item_2"]
    first_def, second_def = (resolve(schema, item["$ref"]) for item in schema["prefixItems"])
    assert list(first_def["properties"]) == ["a"]
    assert list(second_def["properties"]) == ["b"]


@pytest.mark.parametrize(
    ("tp", "words"),
    [
        (dict[str, int], "free-form keys"),
        (dict, "free-form keys"),
        (list, "needs an item type"),
        (Any, "concrete type"),
        (Literal[1.5j], "not a JSON"),
    ],
)
def test_types_strict_mode_cannot_express(tp: Any, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        type_schema(tp)


def test_other_types_go_through_pydantic() -> None:
    schema = type_schema(datetime)
    assert schema == {"type": "string", "format": "date-time"}
    person = type_schema(list[Person])
    assert_strict(person)
    item = resolve(person, person["items"]["$ref"]) if "$ref" in person["items"] else None
    assert item is None or item["type"] == "object"
    # The TypedDict and dataclass inside the pydantic model come from pydantic's $defs.
    assert {"Address", "Point"} <= set(person["$defs"])


def test_pydantic_definitions_are_renamed_when_names_clash() -> None:
    @dataclasses.dataclass
    class Address:  # not the TypedDict above, but the same name
        city: str

    schema = type_schema(tuple[Address, Person])
    assert_strict(schema)
    defs = schema["$defs"]
    assert "Address" in defs and "Address_2" in defs
    assert list(defs["Address"]["properties"]) == ["city"]
    person = schema["prefixItems"][1]
    assert person["properties"]["address"] == {"$ref": "#/$defs/Address_2"}


def test_without_pydantic_builtin_types_work_and_others_say_what_to_install() -> None:
    result = run_without_pydantic(
        """
        from datetime import datetime
        from codex_open_client._schema import type_schema
        print(type_schema(list[int]))
        try:
            type_schema(datetime)
        except TypeError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().splitlines()
    assert first == "{'type': 'array', 'items': {'type': 'integer'}}"
    assert "datetime" in second
    assert "codex-open-client[pydantic]" in second
    assert "explicit JSON schema" in second


# --------------------------------------------------------------------------- strict_schema


class Pet(pydantic.BaseModel):
    kind: Literal["cat"]


class Fish(pydantic.BaseModel):
    kind: Literal["fish"]
    water: Literal["salt", "fresh"]


class Owner(pydantic.BaseModel):
    """An owner and their pets."""

    name: str
    home: Address = pydantic.Field(description="where they live")
    age: Optional[int] = None  # noqa: UP045
    pets: list[Annotated[Union[Pet, Fish], pydantic.Field(discriminator="kind")]]
    best: Optional[Pet] = None  # noqa: UP045
    color: Color = Color.RED


class Node(pydantic.BaseModel):
    value: int
    next: Optional[Node] = pydantic.Field(default=None, description="the next node")  # noqa: UP045


def test_strict_schema_of_a_pydantic_model() -> None:
    raw = Owner.model_json_schema()
    before = copy.deepcopy(raw)
    schema = strict_schema(raw)
    assert raw == before, "the input must not change"
    assert_strict(schema)
    props = schema["properties"]
    assert schema["required"] == ["name", "home", "age", "pets", "best", "color"]
    # $ref + description: inlined, keeping the field's description.
    assert props["home"]["description"] == "where they live"
    assert props["home"]["type"] == "object"
    assert props["age"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Age"}
    # The discriminated union: oneOf became anyOf, the OpenAPI discriminator is gone.
    assert "anyOf" in props["pets"]["items"]
    assert "discriminator" not in props["pets"]["items"]
    assert props["color"]["enum"] == ["red", "green"]
    assert props["color"]["default"] == "red"


def test_strict_schema_of_a_recursive_model_has_an_object_root() -> None:
    raw = Node.model_json_schema()
    assert "$ref" in raw  # pydantic's root is a reference
    schema = strict_schema(raw)
    assert_strict(schema)
    assert schema["type"] == "object"
    assert schema["required"] == ["value", "next"]
    # A self-reference with a description stays a reference (inlining would never end).
    nxt = schema["$defs"]["Node"]["properties"]["next"]
    assert nxt["description"] == "the next node"
    json.dumps(schema)


def test_self_reference_with_siblings_is_not_inlined_forever() -> None:
    child = {"$ref": "#/$defs/N", "description": "the child"}
    raw = {
        "$defs": {"N": {"type": "object", "properties": {"v": {"type": "integer"}, "c": child}}},
        "$ref": "#/$defs/N",
    }
    schema = strict_schema(raw)
    assert_strict(schema)
    assert schema["properties"]["c"] == {
        "anyOf": [{"$ref": "#/$defs/N"}],
        "description": "the child",
    }
    inlined = schema["$defs"]["N"]["properties"]["c"]
    assert inlined["description"] == "the child"
    assert inlined["properties"]["c"]["anyOf"] == [{"$ref": "#/$defs/N"}]


def test_single_allof_is_merged_and_defaults_of_none_dropped() -> None:
    raw = {
        "type": "object",
        "properties": {
            "a": {"allOf": [{"$ref": "#/definitions/A"}], "description": "an A"},
            "b": {"allOf": [{"type": "string"}], "default": None},
            "c": {
                "type": "array",
                "items": {"type": "object", "properties": {"d": {"type": "integer"}}},
            },
            "e": {"type": "array", "prefixItems": [{"properties": {"f": {"type": "string"}}}]},
        },
        "required": [],
        "definitions": {"A": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    }
    schema = strict_schema(raw)
    assert_strict(schema)
    assert schema["properties"]["a"]["description"] == "an A"
    assert schema["properties"]["a"]["properties"] == {"x": {"type": "integer"}}
    assert schema["properties"]["b"] == {"type": "string"}
    assert schema["properties"]["c"]["items"]["required"] == ["d"]
    assert schema["properties"]["e"]["prefixItems"][0]["required"] == ["f"]
    assert raw["required"] == []


def test_empty_object_gets_properties_and_required() -> None:
    assert strict_schema({"type": "object"}) == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
        "required": [],
    }


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "free-form"),
        ({"type": "object", "properties": {"a": {"title": "A"}}}, "no type"),
        ({"$ref": "other.json#/X", "description": "d"}, "within the schema"),
        ({"properties": {"a": {"$ref": "#/$defs/Missing"}}}, "does not resolve"),
        ({"$defs": {"A": {"$ref": "#/$defs/A", "title": "A"}}, "$ref": "#/$defs/A"}, "itself"),
        ({"oneOf": [{"type": "string"}], "anyOf": [{"type": "integer"}]}, "oneOf with anyOf"),
        ("not a schema", "must be a dict"),
    ],
)
def test_strict_schema_errors(schema: Any, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        strict_schema(schema)


def test_pydantic_model_with_a_dict_field_is_refused_clearly() -> None:
    class Bag(pydantic.BaseModel):
        counts: dict[str, int]

    with pytest.raises(TypeError, match=r"#/properties/counts: .*free-form keys"):
        strict_schema(Bag.model_json_schema())


# --------------------------------------------------------------------------- functions


def search(
    query: str,
    limit: int = 10,
    color: Annotated[Optional[Color], "a color filter"] = None,  # noqa: UP045
    where: Point | None = None,
) -> list[str]:
    """Search the catalogue.

    Matches are ranked by relevance.

    Args:
        query: What to look for,
            in plain words.
        limit (int): The most results to return.
        color: Ignored: the Annotated description wins.

    Returns:
        The names found.
    """
    return []


def test_function_tool_parts() -> None:
    name, description, parameters, strict = function_tool_parts(search)
    assert name == "search"
    assert strict is True
    assert description == (
        "Search the catalogue.\n\nMatches are ranked by relevance.\n\n"
        "Returns:\n    The names found."
    )
    assert_strict(parameters)
    props = parameters["properties"]
    assert list(props) == ["query", "limit", "color", "where"]
    # Parameters with defaults are required too: strict mode demands it.
    assert parameters["required"] == ["query", "limit", "color", "where"]
    assert props["query"] == {"type": "string", "description": "What to look for, in plain words."}
    assert props["limit"] == {"type": "integer", "description": "The most results to return."}
    assert props["color"]["description"] == "a color filter"
    assert props["where"]["anyOf"][1] == {"type": "null"}
    assert resolve(parameters, props["where"]["anyOf"][0]["$ref"])["required"] == ["x", "y"]


def test_function_without_parameters_or_docstring() -> None:
    def ping() -> str:
        return "pong"

    assert function_tool_parts(ping) == (
        "ping",
        None,
        {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
        True,
    )


class Shop:
    def buy(self, item: str, count: int) -> str:
        """Buy something."""
        return item * count

    @classmethod
    def open(cls, hour: int) -> bool:
        """Open the shop."""
        return hour > 8


def test_bound_methods_have_no_self_or_cls() -> None:
    _, _, parameters, _ = function_tool_parts(Shop().buy)
    assert list(parameters["properties"]) == ["item", "count"]
    _, _, parameters, _ = function_tool_parts(Shop.open)
    assert list(parameters["properties"]) == ["hour"]
    assert bind_arguments(Shop().buy, {"item": "a", "count": 2}) == {"item": "a", "count": 2}


def test_function_tool_parts_errors() -> None:
    def star(*args: int) -> None: ...
    def stars(a: int, **kwargs: int) -> None: ...
    def untyped(a: int, b) -> None: ...  # type: ignore[no-untyped-def]
    def positional(a: int, /) -> None: ...

    with pytest.raises(TypeError, match=r"\*args"):
        function_tool_parts(star)
    with pytest.raises(TypeError, match=r"\*\*kwargs"):
        function_tool_parts(stars)
    with pytest.raises(TypeError, match="'b' needs a type hint"):
        function_tool_parts(untyped)
    with pytest.raises(TypeError, match="positional-only"):
        function_tool_parts(positional)
    with pytest.raises(TypeError, match="__name__"):
        function_tool_parts(42)  # type: ignore[arg-type]


def test_free_form_dicts_make_a_non_strict_tool() -> None:
    """dict is a plain type for tools; strict mode cannot close it, so strict is False."""

    def tag(labels: dict[str, int], extra: dict, note: str) -> None:  # type: ignore[type-arg]
        """Tag things."""

    name, _, parameters, strict = function_tool_parts(tag)
    assert (name, strict) == ("tag", False)
    props = parameters["properties"]
    assert props["labels"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["extra"] == {"type": "object"}
    assert props["note"] == {"type": "string"}
    assert bind_arguments(tag, {"labels": {"a": 1}, "extra": {}, "note": "n"}) == {
        "labels": {"a": 1},
        "extra": {},
        "note": "n",
    }


def test_function_with_an_unresolvable_hint() -> None:
    def later(a: NotDefinedAnywhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(TypeError, match="cannot resolve the type hints"):
        function_tool_parts(later)


def test_without_pydantic_function_tool_parts_for_plain_types() -> None:
    result = run_without_pydantic(
        """
        import json
        from codex_open_client._functions import function_tool_parts
        def add(a: int, b: float) -> float:
            '''Add two numbers.'''
            return a + b
        print(json.dumps(function_tool_parts(add)))
        print('pydantic' in sys.modules and sys.modules['pydantic'] is not None)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[0])[2]["properties"] == {
        "a": {"type": "integer"},
        "b": {"type": "number"},
    }
    assert lines[1] == "False"


# --------------------------------------------------------------------------- bind_arguments


@dataclasses.dataclass
class Order:
    items: list[Point]
    level: Level
    note: str = ""


def place(
    order: Order,
    address: Address,
    colors: list[Color],
    owner: Person,
    when: datetime,
    scale: float,
    maybe: Point | None = None,
    either: Union[Point, str] = "none",
    pair: tuple[Color, int] = (Color.RED, 0),
) -> None:
    """Place an order."""


def test_bind_arguments_converts_to_the_hinted_types() -> None:
    kwargs = bind_arguments(
        place,
        {
            "order": {"items": [{"x": 1, "y": 2.5}], "level": 2},
            "address": {"street": "Main", "origin": {"x": 0, "y": 0}},
            "colors": ["red", "green"],
            "owner": {"name": "Ann", "address": {"street": "S", "origin": {"x": 1, "y": 1}}},
            "when": "2024-05-01T12:00:00Z",
            "scale": 3,
            "maybe": None,
            "either": {"x": 1, "y": 1},
            "pair": ["green", 4],
        },
    )
    assert kwargs["order"] == Order(items=[Point(1.0, 2.5)], level=Level.HIGH)
    assert isinstance(kwargs["order"].items[0].x, float)
    assert kwargs["address"] == {"street": "Main", "origin": Point(0.0, 0.0)}
    assert kwargs["colors"] == [Color.RED, Color.GREEN]
    assert isinstance(kwargs["owner"], Person)
    assert kwargs["owner"].address["origin"] == Point(1, 1)  # pydantic built it
    assert kwargs["when"] == datetime.fromisoformat("2024-05-01T12:00:00+00:00")
    assert kwargs["scale"] == 3.0 and isinstance(kwargs["scale"], float)
    assert kwargs["maybe"] is None
    assert kwargs["either"] == Point(1, 1)
    assert kwargs["pair"] == (Color.GREEN, 4)
    place(**kwargs)


def test_bind_arguments_union_keeps_plain_values() -> None:
    def f(either: Union[Point, str], n: int | str) -> None: ...

    assert bind_arguments(f, {"either": "text", "n": "3"}) == {"either": "text", "n": "3"}


def test_bind_arguments_plain_values_pass_through_and_defaults_may_be_left_out() -> None:
    arguments = {"query": "socks"}
    assert bind_arguments(search, arguments) == {"query": "socks"}
    assert bind_arguments(search, {"query": "a", "limit": 3, "color": None}) == {
        "query": "a",
        "limit": 3,
        "color": None,
    }


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"query": "a", "size": 1, "page": 2}, "unexpected arguments: 'size', 'page'"),
        ({"limit": 1}, "missing required arguments: 'query'"),
        ({"query": "a", "color": "blue"}, "'blue' is not a valid Color"),
        ({"query": "a", "where": {"x": 1, "y": 2, "z": 3}}, "where"),
        ({"query": "a", "where": {"x": 1}}, "where"),
    ],
)
def test_bind_arguments_errors(arguments: dict[str, Any], words: str) -> None:
    with pytest.raises(TypeError, match=words):
        bind_arguments(search, arguments)


def test_bind_arguments_nested_errors_name_the_path() -> None:
    with pytest.raises(TypeError, match=r"order\.items\[0\]: Point is missing keys: 'y'"):
        bind_arguments(place, _place_args(order={"items": [{"x": 1}], "level": 1}))
    with pytest.raises(TypeError, match=r"order: unexpected keys for Order: 'extra'"):
        bind_arguments(place, _place_args(order={"items": [], "level": 1, "extra": 1}))
    with pytest.raises(TypeError, match=r"address: Address is missing keys: 'origin'"):
        bind_arguments(place, _place_args(address={"street": "x"}))
    with pytest.raises(TypeError, match=r"colors: expected an array"):
        bind_arguments(place, _place_args(colors="red"))
    with pytest.raises(TypeError, match=r"owner: not a valid Person: name: Field required") as info:
        bind_arguments(
            place, _place_args(owner={"address": {"street": "S", "origin": {"x": 1, "y": 1}}})
        )
    assert isinstance(info.value.__cause__, pydantic.ValidationError)
    with pytest.raises(TypeError, match="arguments must be a JSON object"):
        bind_arguments(place, ["not", "a", "dict"])  # type: ignore[arg-type]


def _place_args(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "order": {"items": [], "level": 1},
        "address": {"street": "Main", "origin": {"x": 0, "y": 0}},
        "colors": [],
        "owner": {"name": "Ann", "address": {"street": "S", "origin": {"x": 1, "y": 1}}},
        "when": "2024-05-01T12:00:00Z",
        "scale": 1.0,
    }
    arguments.update(changes)
    return arguments


def test_function_tool_from_function_uses_function_tool_parts() -> None:
    from codex_open_client import FunctionTool

    tool = FunctionTool.from_function(search)
    name, description, parameters, strict = function_tool_parts(search)
    assert tool == FunctionTool(
        name=name, description=description, parameters=parameters, strict=strict
    )
    assert tool.name == "search"
    assert_strict(tool.parameters)


def test_a_dict_inside_a_pydantic_parameter_also_gives_a_non_strict_tool() -> None:
    import pydantic

    class Basket(pydantic.BaseModel):
        item: str
        options: dict[str, int]

    def place(basket: Basket) -> str:
        """Place an order."""
        return basket.item

    place.__annotations__ = {"basket": Basket, "return": str}  # a local class: resolve it here
    _, _, parameters, strict = function_tool_parts(place)
    assert strict is False
    assert "basket" in parameters["properties"]
    bound = bind_arguments(place, {"basket": {"item": "tea", "options": {"sugar": 2}}})
    assert bound["basket"] == Basket(item="tea", options={"sugar": 2})
