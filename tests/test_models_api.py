"""``client.models``: the catalog from ``GET /models``, its cache, ETag and client_version."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import codex_open_client as c
from codex_open_client import _endpoints
from codex_open_client.testing import FakeCodexServer, default_model_catalog, text_reply

from .conftest import BASE, Api


def model_requests(server: FakeCodexServer) -> list[Any]:
    return [r for r in server.requests if r.path.endswith("/models")]


@pytest.fixture
def catalog(server: FakeCodexServer) -> Iterator[list[dict[str, Any]]]:
    """A copy of the catalog the test may change; the server's own is restored after."""
    saved = server.model_catalog
    entries = copy.deepcopy(list(saved))
    server.model_catalog = entries
    yield entries
    server.model_catalog = saved


def test_list_returns_every_field(api: Api, server: FakeCodexServer) -> None:
    """Every §6 field, the reference SDK's names, the descriptions beside the levels, raw."""
    models = api.call("models.list")
    expected = default_model_catalog()
    assert [m.slug for m in models] == [e["slug"] for e in expected]
    model, entry = models[0], expected[0]
    assert isinstance(model, c.Model)
    assert model.display_name == entry["display_name"]
    assert model.context_window == entry["context_window"]
    assert model.reasoning_levels == [lvl["effort"] for lvl in entry["supported_reasoning_levels"]]
    assert [(lvl.effort, lvl.description) for lvl in model.reasoning_level_details] == [
        (lvl["effort"], lvl["description"]) for lvl in entry["supported_reasoning_levels"]
    ]
    assert model.default_reasoning_level == entry["default_reasoning_level"]
    assert model.input_modalities == entry["input_modalities"]
    assert model.supports_parallel_tool_calls is entry["supports_parallel_tool_calls"]
    assert model.support_verbosity is entry["support_verbosity"]
    assert model.priority == entry["priority"]
    assert model.visibility == entry["visibility"]
    assert model.supports_image_detail_original is entry["supports_image_detail_original"]
    assert model.raw == entry
    request = model_requests(server)[0]
    assert request.method == "GET"
    assert request.headers["Authorization"] == f"Bearer {server.access_token}"
    assert request.headers["ChatGPT-Account-ID"] == server.account_id


def test_list_is_cached_and_force_refresh_asks_again(api: Api, server: FakeCodexServer) -> None:
    first = api.call("models.list")
    second = api.call("models.list")
    assert [m.slug for m in first] == [m.slug for m in second]
    assert len(model_requests(server)) == 1
    api.call("models.list", force_refresh=True)
    assert len(model_requests(server)) == 2


def test_stale_catalog_is_revalidated_with_its_etag(
    api: Api, server: FakeCodexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the TTL: If-None-Match with the ETag; a 304 keeps the cached catalog."""
    first = api.call("models.list")
    monkeypatch.setattr(_endpoints, "MODELS_TTL", 0.0)
    again = api.call("models.list")
    requests = model_requests(server)
    assert len(requests) == 2
    assert "If-None-Match" not in requests[0].headers
    assert requests[1].headers["If-None-Match"]
    assert [m.slug for m in again] == [m.slug for m in first]


def test_changed_catalog_is_fetched_whole(
    api: Api, server: FakeCodexServer, catalog: list[dict[str, Any]]
) -> None:
    api.call("models.list")
    catalog[0]["display_name"] = "Renamed"
    models = api.call("models.list", force_refresh=True)
    assert models[0].display_name == "Renamed"


def test_a_new_models_etag_on_responses_makes_the_cache_stale(
    api: Api, server: FakeCodexServer, catalog: list[dict[str, Any]]
) -> None:
    """/responses announces the catalog's ETag (x-models-etag); a new one means refetch."""
    api.call("models.list")
    api.create()  # same catalog: its ETag matches, the cache stays fresh
    api.call("models.list")
    assert len(model_requests(server)) == 1
    catalog[0]["display_name"] = "Changed meanwhile"
    api.create()
    models = api.call("models.list")
    assert len(model_requests(server)) == 2
    assert models[0].display_name == "Changed meanwhile"


def test_client_version_is_sent_and_configurable(
    make_api: Any, server: FakeCodexServer, catalog: list[dict[str, Any]]
) -> None:
    """The backend hides models newer than the client; client_version= opts in."""
    catalog[0]["minimal_client_version"] = "9.0.0"
    newest = catalog[0]["slug"]
    for mode in ("sync", "async"):
        default = make_api(mode)
        assert newest not in [m.slug for m in default.call("models.list")]
        assert default.client.models.client_version == _endpoints.DEFAULT_CLIENT_VERSION
        future = make_api(mode, client_version="9.1.0")
        assert newest in [m.slug for m in future.call("models.list")]
    versions = [r.query["client_version"] for r in model_requests(server)]
    assert versions == [_endpoints.DEFAULT_CLIENT_VERSION, "9.1.0"] * 2


def test_retrieve(api: Api, server: FakeCodexServer) -> None:
    model = api.call("models.retrieve", "gpt-5.4")
    assert model.slug == "gpt-5.4"
    with pytest.raises(KeyError, match=r"gpt-5\.4"):
        api.call("models.retrieve", "no-such-model")
    assert len(model_requests(server)) == 1


def test_bad_arguments(api: Api) -> None:
    with pytest.raises(TypeError, match="force_refresh"):
        api.call("models.list", force_refresh="yes")
    with pytest.raises(TypeError, match="slug"):
        api.call("models.retrieve", "")
    with pytest.raises(TypeError, match="client_version"):
        c.AsyncClient(access_token="t", client_version=9)  # type: ignore[arg-type]


def test_models_errors_are_mapped(api: Api, server: FakeCodexServer) -> None:
    from codex_open_client.testing import http_error

    server.queue_for("models", http_error(403, {"detail": "Forbidden"}))
    with pytest.raises(c.AuthError):
        api.call("models.list")
    server.queue_for("models", http_error(500))
    with pytest.raises(c.ServerError):  # max_retries=0 in these tests
        api.call("models.list")
    assert len(model_requests(server)) == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_models_retries_like_responses(mode: str, make_api: Any, server: FakeCodexServer) -> None:
    from codex_open_client.testing import http_error

    server.queue_for("models", http_error(503))
    models = make_api(mode, max_retries=1).call("models.list")
    assert models
    assert len(model_requests(server)) == 2


def _image_input(detail: str) -> list[c.InputMessage]:
    image = c.InputImage(image_url="data:image/png;base64,iVBORw0KGgo=", detail=detail)  # type: ignore[arg-type]
    return [c.InputMessage(role="user", content=[c.InputText(text="What is it?"), image])]


def test_original_detail_warns_for_a_model_without_it(api: Api, server: FakeCodexServer) -> None:
    """gpt-5.1-codex-mini lacks supports_image_detail_original: a warning, detail kept."""
    with pytest.warns(c.UnsupportedImageDetailWarning, match="gpt-5.1-codex-mini"):
        response = api.create(input=_image_input("original"))
    assert response.output_text
    sent = server.requests[-1].json["input"][0]["content"][1]
    assert sent["detail"] == "original"  # no silent downgrade


def test_original_detail_is_quiet_for_a_model_with_it(api: Api, server: FakeCodexServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api.create(model="gpt-5.4", input=_image_input("original"))
        api.create(input=_image_input("high"))  # no catalog lookup for other details
    assert len(model_requests(server)) == 1


def test_original_detail_without_a_catalog_is_quiet(api: Api, server: FakeCodexServer) -> None:
    """The catalog is a hint: when it cannot be read, the request goes on without a warning."""
    from codex_open_client.testing import http_error

    server.queue_for("models", http_error(404, {"detail": "Not Found"}))
    server.queue(text_reply("fine"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = api.create(input=_image_input("original"))
    assert response.output_text == "fine"


def test_input_image_from_path(api: Api, server: FakeCodexServer, tmp_path: Any) -> None:
    import base64

    data = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    for name, media_type in (("shot.png", "image/png"), ("photo.JPG", "image/jpeg")):
        path = tmp_path / name
        path.write_bytes(data)
        image = c.InputImage.from_path(path, detail="low")
        assert image.detail == "low"
        assert image.image_url == f"data:{media_type};base64," + base64.b64encode(data).decode()
    api.create(input=[c.InputMessage(role="user", content=[image])])
    assert server.requests[-1].json["input"][0]["content"][0] == {
        "type": "input_image",
        "image_url": image.image_url,
        "detail": "low",
    }
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="image type"):
        c.InputImage.from_path(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="detail"):
        c.InputImage.from_path(tmp_path / "shot.png", detail="huge")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        c.InputImage.from_path(tmp_path / "missing.png")


def test_base_request_untouched_by_catalog_lookups(api: Api, server: FakeCodexServer) -> None:
    """A plain request never reads the catalog."""
    api.create(**BASE)
    assert model_requests(server) == []


def test_a_304_and_a_matching_etag_renew_the_cache(
    api: Api, server: FakeCodexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revalidated (304) or confirmed by /responses' x-models-etag: fresh for another TTL."""
    import time

    monkeypatch.setattr(_endpoints, "MODELS_TTL", 0.3)
    api.call("models.list")
    time.sleep(0.35)
    api.call("models.list")  # stale: revalidated with a 304
    api.call("models.list")  # the 304 renewed it
    assert len(model_requests(server)) == 2
    time.sleep(0.35)
    api.create()  # the same ETag on /responses: renewed again
    api.call("models.list")
    assert len(model_requests(server)) == 2


def test_models_recovers_from_a_401_like_responses(make_api: Any, server: FakeCodexServer) -> None:
    """A 401 reloads the stored credentials or refreshes them, then retries once."""
    from codex_open_client.testing import http_error

    for mode in ("sync", "async"):
        store = c.MemoryTokenStore()
        credentials = c.Credentials.from_auth_json(server.mint_credentials(expires_in=3600))
        assert credentials is not None
        store.save(credentials)
        api = make_api(
            mode, access_token=None, account_id=None, token_store=store, issuer=server.issuer
        )
        refreshes = server.refresh_count
        server.queue_for("models", http_error(401, {"detail": "Unauthorized"}))
        assert api.call("models.list")
        assert server.refresh_count == refreshes + 1


def test_models_refuses_a_body_without_a_model_list(api: Api, server: FakeCodexServer) -> None:
    from codex_open_client.testing import http_error

    server.queue_for("models", http_error(200, "[1, 2]", content_type="application/json"))
    with pytest.raises(c.APIError, match="model list"):
        api.call("models.list")
    server.queue_for("models", http_error(200, {"data": []}))
    with pytest.raises(c.APIError, match="models"):
        api.call("models.list")
