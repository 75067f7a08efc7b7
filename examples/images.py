"""Images: send a local picture along with a question.

``python examples/images.py photo.jpg`` describes your picture; without an argument it uses
a small generated PNG (a red square).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _support import client_kwargs, sample_image

import codex_open_client
from codex_open_client import InputImage, InputMessage, InputText

path = Path(sys.argv[1]) if len(sys.argv) > 1 else sample_image()

with codex_open_client.Client(**client_kwargs("images")) as client:
    response = client.responses.create(
        model="gpt-5.1-codex-mini",
        instructions="Describe images in one sentence.",
        input=[
            InputMessage(
                role="user",
                content=[
                    InputText(text="What's in this image?"),
                    # from_path reads the file into a base64 data: URL; the media type comes
                    # from the extension. An https:// URL works too: InputImage(image_url=...).
                    InputImage.from_path(path, detail="low"),  # "low" is cheaper; "high" sharper
                ],
            )
        ],
    )
    print(f"{path.name}: {response.output_text}")
