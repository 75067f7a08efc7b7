"""Where credentials live: the ``TokenStore`` protocol, ``auth.json`` files, and memory.

Every method blocks (file I/O and locks); async code calls them in a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from .. import _json
from .._exceptions import AuthError
from ._tokens import Credentials, is_flat_auth_json

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["FileTokenStore", "InsecureCredentialsWarning", "MemoryTokenStore", "TokenStore"]

_FIX = "fix or delete it, then sign in again (`codex login`)"

logger = logging.getLogger("codex_open_client")


class InsecureCredentialsWarning(UserWarning):
    """A credentials file other users can read or replace (POSIX permissions too open)."""


@runtime_checkable
class TokenStore(Protocol):
    """Where a client loads and saves its credentials.

    ``lock()`` is held around a refresh: exclusive and blocking, across every process that
    shares the store (refresh tokens are single-use). It need not be re-entrant, and it may
    be released from another thread than the one that took it.
    """

    def load(self) -> Credentials | None:
        """The stored credentials, or None when there are none."""
        ...

    def save(self, credentials: Credentials) -> None:
        """Store ``credentials``, replacing what was there."""
        ...

    def delete(self) -> None:
        """Forget the stored credentials (nothing happens when there are none)."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive lock for a refresh: ``with store.lock(): ...``."""
        ...


# One threading lock per file, shared by every FileTokenStore of the process: the only lock
# where fcntl is missing, and it spares threads a file descriptor each while they wait.
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()

# The files already warned about (InsecureCredentialsWarning): once per file per process.
_WARNED: set[str] = set()
_WARNED_GUARD = threading.Lock()

# The files whose 0.2.2 flat format was already logged: once per file per process.
_FLAT_LOGGED: set[str] = set()

# What tempfile.mkstemp adds between the prefix and the suffix of save()'s temporary files.
_MKSTEMP_PART = "[a-z0-9_]{8}"


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


def _thread_lock(path: Path) -> threading.Lock:
    key = _key(path)
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


class FileTokenStore:
    """Credentials in a file in the Codex CLI's ``auth.json`` format (by default
    ``~/.codex/auth.json``), shared with the CLI and with other processes.

    The flat file codex-open-client 0.2.2 wrote there is read too (logged at INFO) and
    rewritten in the CLI's format by the next save, e.g. the next token refresh.

    Writes are atomic (a temporary file in the same folder, fsync, rename) and the file has
    mode 0600; a save also removes the temporary files of saves that died midway. ``load()``
    warns (``InsecureCredentialsWarning``, once per file) when other users can read the file
    or replace it. ``lock()`` takes ``fcntl.flock`` on ``<path>.lock``; on platforms without
    ``fcntl`` (Windows) it only excludes the threads of this process.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path).expanduser()

    @property
    def path(self) -> Path:
        """The ``auth.json`` file."""
        return self._path

    def __repr__(self) -> str:
        return f"FileTokenStore(path={str(self._path)!r})"

    def load(self) -> Credentials | None:
        """The credentials in the file; None when it is missing or holds none (API-key mode).

        Raises ``AuthError`` when the file cannot be read or is malformed: it is never
        silently replaced, since it may be the user's only copy of their sign-in.
        """
        try:
            with open(self._path, "rb") as file:
                info = os.fstat(file.fileno())
                content = file.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise AuthError(f"Cannot read the credentials file {self._path}: {reason}") from None
        _warn_if_exposed(self._path, info)
        try:
            data = _json.loads(content)
        except UnicodeDecodeError:
            raise AuthError(f"The credentials file {self._path} is not UTF-8: {_FIX}") from None
        except ValueError as exc:
            # A JSONDecodeError says where (never what); too deep a nesting says so.
            msg, line, column = (getattr(exc, key, None) for key in ("msg", "lineno", "colno"))
            where = f"{msg} at line {line} column {column}" if msg else str(exc)
            raise AuthError(
                f"The credentials file {self._path} is not valid JSON ({where}): {_FIX}"
            ) from None
        try:
            credentials = Credentials.from_auth_json(data)
        except ValueError as exc:
            # from_auth_json names the bad field, never its value.
            raise AuthError(
                f"The credentials file {self._path} is invalid: {exc}; {_FIX}"
            ) from None
        if credentials is not None and is_flat_auth_json(data):
            _log_flat_format(self._path)
        return credentials

    def save(self, credentials: Credentials) -> None:
        """Write ``credentials`` atomically, with mode 0600, creating the folders (0700).

        Always in the CLI's format (a 0.2.2 flat file is migrated by its first save).
        """
        # Pretty, as the CLI writes it (serde_json::to_string_pretty), which _json.dumps
        # cannot do; from_auth_json caps the nesting, so this cannot recurse too deeply.
        content = json.dumps(credentials.to_auth_json(), indent=2, ensure_ascii=False)
        # Through a symlink, replace its target rather than the link.
        target = Path(os.path.realpath(self._path))
        folder = target.parent
        _make_folders(folder)
        fd, temp = _new_temp_file(folder, target.name)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(content.encode("utf-8"))
                file.flush()
                os.fsync(file.fileno())
                if fcntl is not None:
                    # Renamed while still open, so still locked: until the rename, a save
                    # in another process sees this temporary file in use, not stale.
                    os.replace(temp, target)
            if fcntl is None:  # pragma: no cover - Windows cannot rename an open file
                os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        _remove_stale_temp_files(folder, target.name)
        _fsync_folder(folder)

    def delete(self) -> None:
        """Remove the file, if present."""
        try:
            self._path.unlink()
        except FileNotFoundError:
            return
        _fsync_folder(self._path.parent)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with _thread_lock(self._path):
            if fcntl is None:  # pragma: no cover - Windows
                yield
                return
            lock_path = self._path.with_name(self._path.name + ".lock")
            _make_folders(lock_path.parent)
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(lock_path, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive lock on the file across processes and threads (see the class)."""
        # The lock file stays: deleting it would let two processes lock different files.
        return self._locked()


def _log_flat_format(path: Path) -> None:
    """Say once per file that ``path`` is 0.2.2's flat format and will be migrated."""
    key = _key(path)
    with _WARNED_GUARD:
        if key in _FLAT_LOGGED:
            return
        _FLAT_LOGGED.add(key)
    logger.info(
        "%s holds credentials in the format of codex-open-client 0.2.2; they are used as "
        "they are, and the next save (e.g. the next token refresh) writes them in the Codex "
        "CLI's auth.json format",
        path,
    )


def _warn_if_exposed(path: Path, info: os.stat_result) -> None:
    """Warn once when other users can read ``path`` (``info``) or replace it, as ssh does."""
    if os.name != "posix":  # pragma: no cover - no POSIX modes to judge
        return
    key = _key(path)
    with _WARNED_GUARD:
        if key in _WARNED:
            return
    import shlex

    problems: list[str] = []
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        problems.append(
            f"Permissions {mode:04o} for the credentials file '{path}' are too open: it holds "
            "your ChatGPT sign-in, and other users can access it. Run "
            f"`chmod 600 {shlex.quote(str(path))}`."
        )
    # The folder of the path, and of the file it leads to: whoever can write to either can
    # replace what is read here (and receive the tokens saved there).
    folders = dict.fromkeys(
        (Path(os.path.abspath(path)).parent, Path(os.path.realpath(path)).parent)
    )
    for folder in folders:
        try:
            folder_mode = stat.S_IMODE(os.stat(folder).st_mode)
        except OSError:
            continue
        # Sticky (like /tmp): others cannot rename or delete what is not theirs.
        if folder_mode & 0o022 and not folder_mode & stat.S_ISVTX:
            problems.append(
                f"The folder '{folder}' of the credentials file '{path}' is writable by other "
                f"users (mode {folder_mode:04o}), who may replace the file. Run "
                f"`chmod go-w {shlex.quote(str(folder))}`."
            )
    if not problems:
        return
    with _WARNED_GUARD:
        if key in _WARNED:
            return
        _WARNED.add(key)
    try:
        # stacklevel 3: the warning points at the caller of load().
        warnings.warn(" ".join(problems), InsecureCredentialsWarning, stacklevel=3)
    except BaseException:
        # Turned into an error (-W error): not given, so the next load raises it again.
        with _WARNED_GUARD:
            _WARNED.discard(key)
        raise


def _new_temp_file(folder: Path, name: str) -> tuple[int, str]:
    """A new temporary file for a save of ``name``, open and (with fcntl) flock-ed."""
    # mkstemp creates the file with mode 0600 and O_EXCL, in the target's folder so that
    # os.replace is a rename within one file system.
    import tempfile  # here, not at the top: keeps `import codex_open_client` fast

    for _ in range(10):
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        if fcntl is None:  # pragma: no cover - Windows
            return fd, temp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # no flock on this file system: no other save can tell either
            return fd, temp
        # Between mkstemp and flock another save may have taken the new file for a stale one
        # and deleted it: then its name no longer leads to this file, so take another.
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.lstat(temp)):
                return fd, temp
        os.close(fd)
    raise OSError(f"Cannot create a temporary file in {folder}")  # pragma: no cover


def _remove_stale_temp_files(folder: Path, name: str) -> None:
    """Delete the temporary files of saves of ``name`` that died before their rename.

    A save holds a flock on its temporary file until it has renamed it, and the kernel
    releases that lock when the process dies, so a file with this store's temporary name that
    can be locked is stale. Only regular files of this user with that exact name pattern are
    touched: never another program's files. Without fcntl (Windows) nothing is removed.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    pattern = re.compile(rf"\.{re.escape(name)}\.{_MKSTEMP_PART}\.tmp")
    try:
        names = [entry for entry in os.listdir(folder) if pattern.fullmatch(entry)]
    except OSError:
        return
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    for entry in names:
        path = os.path.join(folder, entry)
        try:
            fd = os.open(path, flags)
        except OSError:  # gone already, a symlink (not ours), unreadable
            continue
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # a save in progress holds it (or this file system has no flock)
                continue
            if os.path.samestat(info, os.lstat(path)):
                os.unlink(path)
        except OSError:
            continue
        finally:
            os.close(fd)


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each with mode 0700 (``mkdir -p`` would not)."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            if not path.is_dir():
                raise


def _fsync_folder(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (a no-op where folders cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class MemoryTokenStore:
    """Credentials kept in memory only, for tests and for apps that store them elsewhere."""

    def __init__(self, credentials: Credentials | None = None) -> None:
        self._credentials = credentials
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenStore(credentials={self._credentials!r})"

    def load(self) -> Credentials | None:
        """The stored credentials, or None."""
        return self._credentials

    def save(self, credentials: Credentials) -> None:
        """Keep ``credentials``."""
        self._credentials = credentials

    def delete(self) -> None:
        """Forget the credentials."""
        self._credentials = None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive lock across the threads of this process."""
        return self._locked()
