"""Tool calls by hand: declare a function, run the calls the model asks for, send the results.

For the loop done for you (plain Python functions, any number of turns) see ``tool_loop.py``.
"""

from __future__ import annotations

from _support import client_kwargs

import codex_open_client
from codex_open_client import FunctionCallOutput, FunctionTool, InputMessage

# strict=True (the default) needs "additionalProperties": false on every object; the SDK
# checks that before sending, since the backend would refuse the request.
weather = FunctionTool(
    name="get_weather",
    description="Current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
)


def get_weather(city: str) -> str:
    return {"Paris": "18°C, sunny"}.get(city, "unknown")  # your real lookup goes here


with codex_open_client.Client(**client_kwargs("tool_calls")) as client:
    question = InputMessage(role="user", content="What's the weather in Paris?")
    first = client.responses.create(
        model="gpt-5.1-codex-mini", instructions="Use the tools.", input=[question], tools=[weather]
    )

    # The output holds the calls (and any reasoning); the second request must replay all of it,
    # followed by one FunctionCallOutput per call, matched by call_id.
    outputs = []
    for call in first.tool_calls:
        args = call.parsed_arguments()  # JSON-decoded; raises ToolArgumentsError if malformed
        print(f"model called {call.name}({args})")
        outputs.append(FunctionCallOutput(call_id=call.call_id, output=get_weather(**args)))

    second = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="Use the tools.",
        input=[question, *first.output, *outputs],
        tools=[weather],  # the same tools: the model may call again
    )
    print(second.output_text)
