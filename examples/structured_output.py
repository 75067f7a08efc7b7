"""Structured output: describe the answer as a pydantic model and get an instance back.

Needs pydantic: ``pip install 'codex-open-client[pydantic]'``. ``responses.parse`` sends the
model's strict JSON schema as the response format, then validates the answer against it.
"""

from __future__ import annotations

from _support import client_kwargs
from pydantic import BaseModel, Field

import codex_open_client
from codex_open_client import RefusalError, StructuredOutputError


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    born: int = Field(description="year of birth")
    occupations: list[str]
    famous_for: str | None  # the model sends null when unknown (strict: every field is sent)


with codex_open_client.Client(**client_kwargs("structured_output")) as client:
    try:
        parsed = client.responses.parse(
            model="gpt-5.1-codex-mini",
            instructions="Extract the person described.",
            input="Ada Lovelace (1815-1852), mathematician and writer, published the first "
            "computer program.",
            text_format=Person,
        )
    except RefusalError as exc:  # the model declined; exc.refusal says why
        print("refused:", exc.refusal)
    except StructuredOutputError as exc:  # not JSON, or not a valid Person
        print("unusable answer:", exc)
    else:
        person = parsed.output_parsed  # a Person, validated by pydantic
        print(repr(person))
        print(f"{person.name}, born {person.born}: {', '.join(person.occupations)}")
