"""Tests for ``_store``: FileTokenStore on real files and processes, and MemoryTokenStore."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from codex_open_client import AsyncClient
from codex_open_client._auth._store import (
    FileTokenStore,
    InsecureCredentialsWarning,
    MemoryTokenStore,
    TokenStore,
)
from codex_open_client._auth._tokens import Credentials
from codex_open_client._exceptions import AuthError
from codex_open_client.testing import FakeCodexServer

from .test_tokens import (
    NOW,
    REFRESH_TOKEN,
    SECRET,
    access_token,
    cli_auth_json,
    credentials,
    id_token,
    secrets_of,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes, fcntl and signals")

StoreFactory = Callable[[], TokenStore]


@pytest.fixture(params=["file", "memory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Stores of one kind that share their credentials (same file, or same object)."""
    if request.param == "file":
        path = tmp_path / "codex" / "auth.json"
        return lambda: FileTokenStore(path)
    memory = MemoryTokenStore()
    return lambda: memory


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def write_private(path: Path, content: str | bytes, mode: int = 0o600) -> None:
    """Write a credentials file the way the CLI does (0600), or with another ``mode``."""
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    os.chmod(path, mode)


def run_child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# --------------------------------------------------------------------------- both stores


def test_both_stores_are_token_stores(make_store: StoreFactory) -> None:
    """FileTokenStore and MemoryTokenStore satisfy the runtime-checkable protocol."""
    assert isinstance(make_store(), TokenStore)


def test_load_save_delete(make_store: StoreFactory) -> None:
    """Empty -> None; save then load gives the credentials; save replaces; delete forgets."""
    store = make_store()
    assert store.load() is None
    first = Credentials.from_auth_json(cli_auth_json())
    assert first is not None
    store.save(first)
    assert make_store().load() == first
    second = Credentials.from_token_response(
        {"access_token": access_token(), "refresh_token": "rt-2"}, now=NOW, previous=first
    )
    store.save(second)
    loaded = make_store().load()
    assert loaded == second
    assert loaded is not None
    assert loaded.refresh_token == "rt-2"
    assert loaded.to_auth_json()["some_new_setting"] == {"nested": True, "list": ["a", 1, None]}
    store.delete()
    assert make_store().load() is None
    store.delete()  # deleting nothing is fine
    assert store.load() is None


def test_lock_is_exclusive_across_threads(make_store: StoreFactory) -> None:
    """Threads (each with its own store object where that applies) never overlap inside lock()."""
    log: list[str] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        store = make_store()
        try:
            for _ in range(5):
                with store.lock():
                    log.append(f"start {name}")
                    time.sleep(0.002)
                    log.append(f"end {name}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(str(i),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(log) == 80
    for start, end in zip(log[::2], log[1::2], strict=True):
        assert start.startswith("start ")
        assert end == "end " + start.split()[1]


def test_lock_can_be_released_from_another_thread(make_store: StoreFactory) -> None:
    """Taken in one worker thread and released in another, as async callers do; then free."""
    store = make_store()
    lock = store.lock()
    taker = threading.Thread(target=lock.__enter__)
    taker.start()
    taker.join(timeout=10)
    released = threading.Event()

    def wait_for_it() -> None:
        with make_store().lock():
            released.set()

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    assert not released.wait(0.2)  # still held
    releaser = threading.Thread(target=lock.__exit__, args=(None, None, None))
    releaser.start()
    releaser.join(timeout=10)
    assert released.wait(10)
    waiter.join(timeout=10)
    with store.lock():
        pass


def test_no_token_in_store_reprs_or_errors(make_store: StoreFactory) -> None:
    """repr/str of a store holding credentials shows no token."""
    store = make_store()
    creds = credentials()
    store.save(creds)
    for text in (repr(store), str(store)):
        assert SECRET not in text
        for token in secrets_of(creds):
            assert token not in text


# --------------------------------------------------------------------------- files


def test_cli_file_round_trips_byte_for_byte(tmp_path: Path) -> None:
    """A pretty-printed CLI file with unknown keys loads, and saving it writes the same bytes."""
    data = cli_auth_json(note="naïve ünïcode ✓")
    text = json.dumps(data, indent=2, ensure_ascii=False)  # serde_json::to_string_pretty
    path = tmp_path / "auth.json"
    write_private(path, text)
    store = FileTokenStore(path)
    loaded = store.load()
    assert loaded is not None
    assert loaded.account_id == "acc-1"
    store.save(loaded)
    assert path.read_text(encoding="utf-8") == text


def test_saved_file_is_in_the_cli_format(tmp_path: Path) -> None:
    """What the SDK writes after a sign-in is the CLI's auth.json: same keys, same shape."""
    path = tmp_path / "auth.json"
    creds = Credentials.from_token_response(
        {"id_token": id_token(), "access_token": access_token(), "refresh_token": REFRESH_TOKEN},
        now=NOW,
    )
    FileTokenStore(path).save(creds)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": creds.id_token,
            "access_token": creds.access_token,
            "refresh_token": REFRESH_TOKEN,
            "account_id": "acc-1",
        },
        "last_refresh": "2026-04-27T12:00:00.000000Z",
    }
    assert path.read_text(encoding="utf-8").startswith('{\n  "auth_mode": "chatgpt",\n')


@posix_only
def test_save_creates_folders_and_a_0600_file_without_leftovers(tmp_path: Path) -> None:
    """Missing folders are made (0700), the file is 0600, and no temporary file remains."""
    path = tmp_path / "a" / "b" / "auth.json"
    store = FileTokenStore(path)
    assert store.path == path
    store.save(credentials())
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert mode_of(tmp_path / "a") == 0o700
    assert os.listdir(path.parent) == ["auth.json"]
    store.save(credentials(refresh_token="rt-again"))
    assert os.listdir(path.parent) == ["auth.json"]
    assert mode_of(path) == 0o600


@posix_only
def test_save_replaces_a_world_readable_file_with_a_0600_one(tmp_path: Path) -> None:
    """An existing 0644 auth.json ends as 0600 after a save."""
    path = tmp_path / "auth.json"
    write_private(path, json.dumps(cli_auth_json(), indent=2), 0o644)
    store = FileTokenStore(path)
    with pytest.warns(InsecureCredentialsWarning, match="chmod 600"):
        loaded = store.load()
    assert loaded is not None
    store.save(loaded)
    assert mode_of(path) == 0o600


@posix_only
def test_save_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    """A symlinked auth.json (dotfiles) stays a link; the file it points to gets the content."""
    real = tmp_path / "dotfiles" / "auth.json"
    real.parent.mkdir()
    real.write_text(json.dumps(cli_auth_json(), indent=2))
    link = tmp_path / "auth.json"
    link.symlink_to(real)
    store = FileTokenStore(link)
    store.save(credentials(refresh_token="rt-via-link"))
    assert link.is_symlink()
    assert json.loads(real.read_text())["tokens"]["refresh_token"] == "rt-via-link"
    assert os.listdir(real.parent) == ["auth.json"]


def test_api_key_file_loads_as_no_credentials(tmp_path: Path) -> None:
    """An API-key-mode auth.json has no ChatGPT tokens: load() is None."""
    path = tmp_path / "auth.json"
    write_private(path, json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-x"}))
    assert FileTokenStore(path).load() is None


BAD_FILES = {
    "not json": f'{{"tokens": {{"access_token": "{SECRET}-access", ',
    "empty": "",
    "not an object": "[1, 2, 3]",
    "bad id token": json.dumps(
        cli_auth_json(tokens={"id_token": f"nope.{SECRET}", "access_token": f"{SECRET}-a"})
    ),
    "bad last_refresh": json.dumps(cli_auth_json(last_refresh=f"{SECRET}-not-a-date")),
    "tokens not an object": json.dumps({"tokens": f"{SECRET}-token"}),
    "nested too deeply": '{"tokens": ' + "[" * 100_000,
    "100,000 levels, closed": '{"tokens": ' + "[" * 100_000 + "]" * 100_000 + "}",
    # Decodes, but deeper than a copy of it can recurse: was a raw RecursionError.
    "500 levels in a valid file": json.dumps(cli_auth_json())[:-1]
    + ', "deep": '
    + "[" * 500
    + "]" * 500
    + "}",
    "0.2.2 file, bad expires_at": json.dumps(
        {"access_token": f"{SECRET}-a", "expires_at": f"{SECRET}-soon"}
    ),
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_invalid_file_raises_auth_error_naming_the_path(tmp_path: Path, content: str) -> None:
    """Invalid JSON or an invalid JWT: AuthError with the path and the fix, no token text."""
    path = tmp_path / "auth.json"
    write_private(path, content)
    with pytest.raises(AuthError) as info:
        FileTokenStore(path).load()
    message = str(info.value)
    assert str(path) in message
    assert "sign in again" in message
    assert SECRET not in message
    assert SECRET not in repr(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert path.read_text() == content  # never overwritten


def test_a_client_with_a_deeply_nested_file_raises_auth_error(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """Through a client over real sockets: AuthError naming the file, which is kept."""
    path = tmp_path / "auth.json"
    content = BAD_FILES["500 levels in a valid file"]
    write_private(path, content)

    async def main() -> None:
        async with AsyncClient(
            base_url=server.url, token_path=path, issuer=server.issuer, max_retries=0
        ) as client:
            await client.responses.create(model="gpt-5.1-codex-mini", instructions="", input="hi")

    with pytest.raises(AuthError, match="nested more than 64 levels") as info:
        asyncio.run(main())
    assert str(path) in str(info.value)
    assert path.read_text() == content
    assert not [r for r in server.requests if r.path.endswith("/responses")]


def test_non_utf8_and_unreadable_files_raise_auth_error(tmp_path: Path) -> None:
    """Bytes that are not UTF-8, or a folder where the file should be: AuthError with the path."""
    path = tmp_path / "auth.json"
    write_private(path, b'{"tokens": "\xff\xfe"}')
    with pytest.raises(AuthError, match=str(path)):
        FileTokenStore(path).load()
    folder = tmp_path / "dir" / "auth.json"
    folder.mkdir(parents=True)
    with pytest.raises(AuthError, match=str(folder)):
        FileTokenStore(folder).load()


def test_a_022_flat_file_loads_logs_once_and_is_migrated_by_a_save(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """0.2.2's flat file (0644): read, said once at INFO, saved atomically in the CLI format."""
    caplog.set_level(logging.INFO, logger="codex_open_client")
    path = tmp_path / "auth.json"
    flat = {
        "access_token": access_token(),
        "refresh_token": REFRESH_TOKEN,
        "expires_at": 1777291200.5,
        "token_type": "Bearer",
        "id_token": id_token(),
        "scope": "openid profile email offline_access",
    }
    write_private(path, json.dumps(flat, indent=2) + "\n", 0o644)
    store = FileTokenStore(path)
    caught = warnings_of(store.load)
    assert [w.category for w in caught] == [InsecureCredentialsWarning]
    loaded = store.load()
    assert loaded is not None and loaded.access_token == flat["access_token"]
    assert loaded.account_id == "acc-1"
    said = [r for r in caplog.records if "codex-open-client 0.2.2" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO
    assert str(path) in said[0].getMessage()
    assert_no_secret(caplog.text)

    store.save(loaded)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": flat["id_token"],
            "access_token": flat["access_token"],
            "refresh_token": REFRESH_TOKEN,
            "account_id": "acc-1",
        },
    }
    assert mode_of(path) == 0o600  # a new file, renamed over the old one
    assert sorted(os.listdir(tmp_path)) == ["auth.json"]
    assert store.load() == loaded


def test_delete_removes_only_the_file(tmp_path: Path) -> None:
    """delete() removes auth.json and leaves the folder."""
    path = tmp_path / "auth.json"
    store = FileTokenStore(path)
    store.save(credentials())
    store.delete()
    assert not path.exists()
    assert tmp_path.is_dir()


# --------------------------------------------------------------------------- permissions


def warnings_of(action: Callable[[], object]) -> list[warnings.WarningMessage]:
    """The warnings ``action`` issues, every one recorded (no filter hides a repeat)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    for token in secrets_of(credentials()):
        assert token not in text


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666, 0o740], ids=oct)
def test_a_file_others_can_access_warns_once_naming_the_fix(tmp_path: Path, mode: int) -> None:
    """Like ssh: group or other bits on auth.json warn, once per file, with `chmod 600`."""
    path = tmp_path / "auth.json"
    write_private(path, json.dumps(cli_auth_json(), indent=2), mode)

    def load_three_times() -> None:
        assert FileTokenStore(path).load() is not None
        assert FileTokenStore(path).load() is not None  # another store object, same file
        assert FileTokenStore(str(path)).load() is not None

    (warning,) = warnings_of(load_three_times)
    assert warning.category is InsecureCredentialsWarning
    assert issubclass(InsecureCredentialsWarning, UserWarning)
    message = str(warning.message)
    assert f"'{path}'" in message
    assert f"{mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert_no_secret(message)
    assert warning.filename == __file__  # it points at the caller of load()
    assert warnings_of(FileTokenStore(path).load) == []
    assert mode_of(path) == mode  # only the user changes modes

    other = tmp_path / "other.json"
    write_private(other, json.dumps(cli_auth_json()), mode)
    (warning,) = warnings_of(FileTokenStore(other).load)
    assert f"'{other}'" in str(warning.message)


@posix_only
@pytest.mark.parametrize("mode", [0o777, 0o775, 0o770, 0o703], ids=oct)
def test_a_folder_others_can_write_warns_naming_the_fix(tmp_path: Path, mode: int) -> None:
    """A group- or world-writable folder lets others replace auth.json: warn, `chmod go-w`."""
    folder = tmp_path / "codex home"
    folder.mkdir(mode=0o700)
    path = folder / "auth.json"
    write_private(path, json.dumps(cli_auth_json()))
    os.chmod(folder, mode)
    (warning,) = warnings_of(FileTokenStore(path).load)
    message = str(warning.message)
    assert f"'{folder}'" in message and f"'{path}'" in message
    assert f"{mode:04o}" in message
    assert f"chmod go-w '{folder}'" in message  # quoted for the shell
    assert "chmod 600" not in message  # the file itself is fine
    assert_no_secret(message)
    assert warnings_of(FileTokenStore(path).load) == []


@posix_only
def test_a_symlink_in_a_folder_others_can_write_warns(tmp_path: Path) -> None:
    """A private file reached through a link in a writable folder: the link can be replaced."""
    real = tmp_path / "private" / "auth.json"
    real.parent.mkdir(mode=0o700)
    write_private(real, json.dumps(cli_auth_json()))
    shared = tmp_path / "shared"
    shared.mkdir()
    link = shared / "auth.json"
    link.symlink_to(real)
    os.chmod(shared, 0o777)
    (warning,) = warnings_of(FileTokenStore(link).load)
    assert f"chmod go-w {shared}" in str(warning.message)
    assert f"'{real.parent}'" not in str(warning.message)


@posix_only
@pytest.mark.parametrize(
    ("file_mode", "folder_mode"),
    [(0o600, 0o700), (0o400, 0o755), (0o600, 0o1777), (0o600, 0o711)],
    ids=["private", "read-only-file", "sticky-folder", "traversable-folder"],
)
def test_private_files_do_not_warn(tmp_path: Path, file_mode: int, folder_mode: int) -> None:
    """0600 (or 0400) files in folders others cannot write to (or sticky, like /tmp): silent."""
    folder = tmp_path / "codex"
    folder.mkdir()
    path = folder / "auth.json"
    write_private(path, json.dumps(cli_auth_json()), file_mode)
    os.chmod(folder, folder_mode)
    try:
        assert warnings_of(FileTokenStore(path).load) == []
    finally:
        os.chmod(folder, 0o700)


@posix_only
def test_a_client_reading_an_exposed_file_warns_once(
    server: FakeCodexServer, tmp_path: Path
) -> None:
    """Through AsyncClient (loads in worker threads): one warning for many requests."""
    path = tmp_path / "auth.json"
    write_private(path, json.dumps(server.mint_credentials(expires_in=3600)), 0o644)

    async def main() -> None:
        async with AsyncClient(
            base_url=server.url, token_path=path, issuer=server.issuer, max_retries=0
        ) as client:
            for _ in range(3):
                response = await client.responses.create(
                    model="gpt-5.1-codex-mini", instructions="", input="Hello!"
                )
                assert response.output_text

    caught = warnings_of(lambda: asyncio.run(main()))
    assert [w.category for w in caught] == [InsecureCredentialsWarning]
    assert f"chmod 600 {path}" in str(caught[0].message)
    assert "eyJ" not in str(caught[0].message)  # no token (JWT) in it


@posix_only
def test_warnings_as_errors_fail_every_load_until_the_file_is_fixed(tmp_path: Path) -> None:
    """With -W error the warning raises, each time (a raised one does not count as given)."""
    path = tmp_path / "auth.json"
    write_private(path, json.dumps(cli_auth_json()), 0o644)
    store = FileTokenStore(path)
    for _ in range(2):
        with pytest.raises(InsecureCredentialsWarning, match="chmod 600"):
            store.load()
    os.chmod(path, 0o600)
    assert store.load() is not None


# --------------------------------------------------------------------------- processes

CHILD_WRITER = """
import json, sys
from codex_open_client._auth._store import FileTokenStore
from codex_open_client._auth._tokens import Credentials

path, size, base = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
store = FileTokenStore(path)
print("ready", flush=True)
n = 0
while True:
    n += 1
    letter = chr(ord("a") + n % 26)
    store.save(Credentials.from_auth_json(dict(base, padding=letter * size, round=n)))
"""


@posix_only
def test_a_process_killed_while_writing_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    """SIGKILL at random moments of a loop of large saves: auth.json always parses, whole, 0600."""
    path = tmp_path / "auth.json"
    size = 2_000_000
    base = cli_auth_json()
    store = FileTokenStore(path)
    first = Credentials.from_auth_json(dict(base, padding="A" * size, round=0))
    assert first is not None
    store.save(first)
    rng = random.Random(1234)
    rounds_seen: set[int] = set()
    interrupted = 0
    for _ in range(60):
        child = run_child(CHILD_WRITER, str(path), str(size), json.dumps(base))
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL

        data = json.loads(path.read_text(encoding="utf-8"))  # never partial
        padding, number = data["padding"], data["round"]
        letter = "A" if number == 0 else chr(ord("a") + number % 26)
        assert padding == letter * size
        assert data["tokens"] == base["tokens"]
        loaded = store.load()
        assert loaded is not None
        assert loaded.refresh_token == REFRESH_TOKEN
        assert mode_of(path) == 0o600
        rounds_seen.add(number)
        leftovers = [name for name in os.listdir(tmp_path) if name != "auth.json"]
        assert all(name.startswith(".auth.json.") and name.endswith(".tmp") for name in leftovers)
        for name in leftovers:
            interrupted += 1
            os.unlink(tmp_path / name)
        if interrupted >= 2 and len(rounds_seen) >= 2:
            break
    # The kills did land in the middle of writes, and the writes did replace the file.
    assert interrupted >= 1
    assert len(rounds_seen) >= 2


def temps_of(folder: Path) -> list[str]:
    """The temporary files FileTokenStore.save leaves when it dies: .auth.json.XXXXXXXX.tmp."""
    return sorted(
        n for n in os.listdir(folder) if n.startswith(".auth.json.") and n.endswith(".tmp")
    )


@posix_only
def test_a_save_removes_temp_files_of_saves_killed_midway(tmp_path: Path) -> None:
    """Writers SIGKILLed mid-save leave token-holding temp files; the next save removes them."""
    path = tmp_path / "auth.json"
    size = 2_000_000
    base = cli_auth_json()
    store = FileTokenStore(path)
    store.save(credentials())
    rng = random.Random(4321)
    for _ in range(60):
        child = run_child(CHILD_WRITER, str(path), str(size), json.dumps(base))
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        if temps_of(tmp_path):
            break
    assert temps_of(tmp_path)  # a kill did land in the middle of a save
    store.save(credentials(refresh_token="rt-after-the-kills"))
    assert sorted(os.listdir(tmp_path)) == ["auth.json"]
    loaded = FileTokenStore(path).load()
    assert loaded is not None
    assert loaded.refresh_token == "rt-after-the-kills"
    assert mode_of(path) == 0o600


@posix_only
def test_a_save_removes_only_this_stores_own_temp_files(tmp_path: Path) -> None:
    """Only names mkstemp gives this store's saves go; lookalikes, links and folders stay."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    target = outside / "precious.txt"
    target.write_text("not ours")
    folder = tmp_path / "codex"
    folder.mkdir()
    stale = [".auth.json.abcd_123.tmp", ".auth.json.zz9plura.tmp"]
    kept = [
        ".auth.json.tmp",
        ".auth.json.abc.tmp",  # not mkstemp's 8 characters
        ".auth.json.ABCDEFGH.tmp",  # mkstemp never uses capitals
        "auth.json.abcdefgh.tmp",
        ".auth.json.abcdefgh.tmp.bak",
        ".other.json.abcdefgh.tmp",  # another store's
        ".auth.json.bak.abcdefgh.tmp",  # the store auth.json.bak's
        "notes.tmp",
    ]
    for name in stale + kept:
        write_private(folder / name, f"{SECRET} {name}")
    (folder / ".auth.json.symlinks.tmp").symlink_to(target)
    (folder / ".auth.json.folder00.tmp").mkdir()
    kept += [".auth.json.symlinks.tmp", ".auth.json.folder00.tmp"]
    FileTokenStore(folder / "auth.json").save(credentials())
    assert sorted(os.listdir(folder)) == sorted(["auth.json", *kept])
    assert target.read_text() == "not ours"
    for name in kept[:-2]:
        assert (folder / name).read_text() == f"{SECRET} {name}"


CHILD_HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)  # what a save does while it writes its temp file
print("ready", flush=True)
sys.stdin.read()
"""


@posix_only
def test_a_save_keeps_the_temp_file_of_a_save_in_progress_elsewhere(tmp_path: Path) -> None:
    """A temp file another process is still writing (and so has locked) stays until it is done."""
    path = tmp_path / "auth.json"
    temp = tmp_path / ".auth.json.inflight.tmp"
    write_private(temp, "half a save")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_HOLDER, str(temp)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        FileTokenStore(path).save(credentials())
        assert temp.read_text() == "half a save"
    finally:
        child.communicate("", timeout=30)
    assert child.returncode == 0
    FileTokenStore(path).save(credentials())  # its writer is gone: now it is stale
    assert os.listdir(tmp_path) == ["auth.json"]


CHILD_SAVER = """
import json, sys
from codex_open_client._auth._store import FileTokenStore
from codex_open_client._auth._tokens import Credentials

path, rounds, base = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
store = FileTokenStore(path)
for n in range(rounds):
    store.save(Credentials.from_auth_json(dict(base, padding="x" * 5_000, round=n)))
"""


@posix_only
def test_concurrent_saves_never_remove_each_others_temp_files(tmp_path: Path) -> None:
    """4 processes saving at once, each cleaning up on every save: every save succeeds."""
    # A cleanup that deleted every file with the temporary name fails about a third of these.
    path = tmp_path / "auth.json"
    children = [
        run_child(CHILD_SAVER, str(path), "60", json.dumps(cli_auth_json())) for _ in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    assert os.listdir(tmp_path) == ["auth.json"]
    assert json.loads(path.read_text())["round"] == 59


CHILD_LOCKER = """
import sys, time
from codex_open_client._auth._store import FileTokenStore

path, log, name, go = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
store = FileTokenStore(path)
print("ready", flush=True)
while not __import__("os").path.exists(go):
    time.sleep(0.005)
for _ in range(5):
    with store.lock():
        with open(log, "a") as f:
            f.write(f"start {name}\\n")
        time.sleep(0.02)
        with open(log, "a") as f:
            f.write(f"end {name}\\n")
"""


@posix_only
def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    """4 processes take the lock 5 times each, appending start/end: the log never interleaves."""
    path = tmp_path / "codex" / "auth.json"
    log = tmp_path / "log.txt"
    go = tmp_path / "go"
    children = [run_child(CHILD_LOCKER, str(path), str(log), str(i), str(go)) for i in range(4)]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=30)
        assert child.returncode == 0, err
    lines = log.read_text().splitlines()
    assert len(lines) == 40
    for start, end in zip(lines[::2], lines[1::2], strict=True):
        assert start.startswith("start ")
        assert end == "end " + start.split()[1]
    lock_file = path.with_name("auth.json.lock")
    assert mode_of(lock_file) == 0o600


CHILD_WAITER = """
import sys, time
from codex_open_client._auth._store import FileTokenStore

store = FileTokenStore(sys.argv[1])
print("ready", flush=True)
started = time.monotonic()
with store.lock():
    print(f"{time.monotonic() - started:.3f}", flush=True)
"""


@posix_only
def test_another_process_waits_while_the_lock_is_held(tmp_path: Path) -> None:
    """While this process holds lock(), another one blocks until it is released."""
    path = tmp_path / "auth.json"
    store = FileTokenStore(path)
    with store.lock():
        child = run_child(CHILD_WAITER, str(path))
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        assert child.poll() is None
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    assert float(out.strip()) >= 0.3


def test_memory_store_starts_with_the_given_credentials() -> None:
    """MemoryTokenStore(credentials) loads them until deleted; its repr hides the tokens."""
    creds = credentials()
    store = MemoryTokenStore(creds)
    assert store.load() is creds
    assert "acc-1" in repr(store)
    store.delete()
    assert store.load() is None
