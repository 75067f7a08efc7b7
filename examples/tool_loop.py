"""The tool loop: give ``run_tools`` plain Python functions; it runs every call until the answer.

Each function becomes a strict function tool: its name, its docstring (the ``Args:`` section
describes the parameters) and its type hints make the schema. Async functions run
concurrently; sync ones run in a worker thread. A function that raises tells the model the
error (so it can recover) unless you pass ``raise_tool_errors=True``.
"""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client

WEATHER = {"Paris": 18.0, "Tokyo": 24.5}


def get_weather(city: str) -> dict[str, object]:
    """Current weather in a city.

    Args:
        city: The city name, e.g. "Paris".
    """
    return {"city": city, "celsius": WEATHER.get(city), "sky": "sunny"}  # sent back as JSON


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from Celsius to Fahrenheit."""
    return round(celsius * 9 / 5 + 32, 1)


with codex_open_client.Client(**client_kwargs("tool_loop")) as client:
    result = client.responses.run_tools(
        model="gpt-5.1-codex-mini",
        instructions="Use the tools. Give temperatures in Fahrenheit too.",
        input="Compare the weather in Paris and Tokyo.",
        tools=[get_weather, celsius_to_fahrenheit],
        max_turns=5,  # more responses than this raise MaxTurnsExceededError (with the result)
    )
    for turn, response in enumerate(result.responses, 1):  # one response per turn
        for call in response.tool_calls:
            print(f"turn {turn}: {call.name}({call.parsed_arguments()})")
    print(result.output_text)
    # result.input is the whole history: append a user message to it to continue.
    print(f"{len(result.responses)} responses, {len(result.input)} history items")
