"""Who is asking: roles, the tokens file, and the local analyst token the CLI uses.

A request carries ``Authorization: Bearer <token>``; without one it is ``public``. The tokens file
(``Settings.api_tokens``) keeps each token only as its SHA-256, so a copy of the file does not let
anyone in::

    tokens:
      - name: ttcg-analyst-1
        role: analyst
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import structlog
import yaml
from pydantic import Field, ValidationError

from engage.errors import ConfigurationError
from engage.settings import Settings
from events import Frozen

log = structlog.get_logger(__name__)

LOCAL_TOKEN_NAME = "local-analyst"
"""The entry ``engage up`` keeps in the default tokens file for the CLI on this machine."""


class Role(StrEnum):
    """What a caller may read (``policy.POLICY`` says which view to whom)."""

    PUBLIC = "public"
    PARTNER = "partner"
    ANALYST = "analyst"


class TokenEntry(Frozen):
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9._@-]+$")]
    """Who holds the token: it names them in the audit log."""
    role: Role
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    """Hex SHA-256 of the token (``engage token`` prints a new token and its entry)."""


class TokensDocument(Frozen):
    tokens: tuple[TokenEntry, ...] = ()


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role


PUBLIC = Principal("public", Role.PUBLIC)


@dataclass(frozen=True)
class Refusal:
    """A request whose credentials are wrong: answered 401 whatever it asked."""

    reason: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def parse_tokens(text: str, origin: str) -> dict[str, Principal]:
    """The tokens of a YAML document by their hash; raises ConfigurationError saying what to fix."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{origin} is not YAML ({exc}); fix it or remove it") from exc
    try:
        document = TokensDocument.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(
            f"{origin}: {where}: {first['msg']}; each token needs a name, a role "
            f"({', '.join(r.value for r in Role)}) and the token's sha256 in hex"
        ) from exc
    by_hash: dict[str, Principal] = {}
    names: set[str] = set()
    for entry in document.tokens:
        if entry.name in names:
            raise ConfigurationError(f"{origin}: the name {entry.name!r} is given twice; names must differ")
        if entry.sha256 in by_hash:
            raise ConfigurationError(
                f"{origin}: the token of {entry.name!r} is also another's; make a new one"
            )
        names.add(entry.name)
        by_hash[entry.sha256] = Principal(entry.name, entry.role)
    return by_hash


class TokenFile:
    """The tokens file, read again whenever it changes on disk.

    A file that has become unreadable or invalid lets no token in (every bearer is refused) until
    it is fixed: an edit meant to revoke a token must never leave it working.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tokens: dict[str, Principal] = {}
        self._problem = ""
        self._reload()
        if self._problem:
            raise ConfigurationError(self._problem)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def _reload(self) -> None:
        stamp = self._stat()
        if stamp is None:
            self._tokens, self._problem = {}, ""
        else:
            try:
                self._tokens = parse_tokens(self._path.read_text(encoding="utf-8"), str(self._path))
                self._problem = ""
            except (OSError, ConfigurationError) as exc:
                self._tokens, self._problem = {}, str(exc)
                log.error("api_tokens_unusable", path=str(self._path), error=str(exc))
        self._stamp = stamp
        log.info("api_tokens_loaded", path=str(self._path), tokens=len(self._tokens))

    def lookup(self, token: str) -> Principal | None:
        with self._lock:
            if self._stat() != self._stamp:
                self._reload()
            return self._tokens.get(hash_token(token))


class StaticTokens:
    """Tokens held in memory, by the token itself (tests, and services given their tokens directly)."""

    def __init__(self, tokens: Mapping[str, Principal]) -> None:
        self._tokens = {hash_token(t): p for t, p in tokens.items()}

    def lookup(self, token: str) -> Principal | None:
        return self._tokens.get(hash_token(token))


Tokens = TokenFile | StaticTokens


def resolve(authorization: str | None, tokens: Tokens) -> Principal | Refusal:
    """The caller named by an ``Authorization`` header value (``None``: no header, public)."""
    if authorization is None:
        return PUBLIC
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Refusal("the Authorization header must be 'Bearer <token>'; send none to read as public")
    principal = tokens.lookup(token)
    if principal is None:
        return Refusal(
            "the token is not known (mistyped, or revoked); ask for a new one, or send none to read as public"
        )
    return principal


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, replacing it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        tmp.chmod(0o600)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def dump_tokens(entries: Sequence[TokenEntry]) -> str:
    return yaml.safe_dump(
        {"tokens": [e.model_dump(mode="json") for e in entries]}, sort_keys=False, allow_unicode=True
    )


def _entries(path: Path) -> list[TokenEntry]:
    if not path.exists():
        return []
    parse_tokens(path.read_text(encoding="utf-8"), str(path))  # refuses a broken file with its reason
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(TokensDocument.model_validate(raw).tokens)


def add_token(path: Path, name: str, role: Role) -> str:
    """Make a new token for ``name`` (replacing one of that name), store its hash; returns the token."""
    token = new_token()
    try:
        entry = TokenEntry(name=name, role=role, sha256=hash_token(token))
    except ValidationError as exc:
        raise ConfigurationError(
            f"the name {name[:80]!r} cannot name a token: use 1 to 80 letters, digits, '.', '_', '@' or '-'"
        ) from exc
    kept = [e for e in _entries(path) if e.name != name]
    _write_private(path, dump_tokens([*kept, entry]))
    return token


def ensure_local_token(settings: Settings) -> Path | None:
    """Make sure the CLI on this machine can read as an analyst; returns the token file it reads.

    Only with the default tokens file: a configured one belongs to its operator, and the CLI then
    sends ``ENGAGE_API_TOKEN``.
    """
    if settings.api_tokens_path is not None:
        return None
    token_path, tokens_path = settings.local_token_path, settings.api_tokens
    token = ""
    if token_path.exists():
        token = token_path.read_text(encoding="utf-8").strip()
        if token_path.stat().st_mode & 0o077:
            token_path.chmod(0o600)
            log.warning("local_token_permissions_fixed", path=str(token_path))
    known = {e.sha256: e for e in _entries(tokens_path)}
    held = known.get(hash_token(token)) if token else None
    if held is not None and held.name == LOCAL_TOKEN_NAME and held.role is Role.ANALYST:
        return token_path
    token = add_token(tokens_path, LOCAL_TOKEN_NAME, Role.ANALYST)
    _write_private(token_path, token + "\n")
    log.info("local_token_created", token_file=str(token_path), tokens_file=str(tokens_path))
    return token_path


def client_token(settings: Settings) -> str | None:
    """The token the CLI sends: ``ENGAGE_API_TOKEN``, else the local analyst token, else none."""
    if settings.api_token is not None:
        return settings.api_token.get_secret_value()
    try:
        token = settings.local_token_path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return token or None


def auth_headers(settings: Settings) -> dict[str, str]:
    token = client_token(settings)
    return {"Authorization": f"Bearer {token}"} if token else {}
