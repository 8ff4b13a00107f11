"""Who may send what: one grant per partner key, read from a YAML file at start-up.

Example (docs/gateway-grants.example.yaml)::

    grants:
      - partner: camden-council           # names the partner in logs and dead letters
        key_id: camden-council-2026-01    # sent in X-Engage-Key-Id; a partner may hold several keys
        secret_env: ENGAGE_GATEWAY_SECRET_CAMDEN_COUNCIL   # the secret is read from this variable
        sources: [open311]                # connectors this key may send records to
        neighbourhoods: "*"               # or a list of neighbourhood ids or names

Secrets are never written in the file, so the file can be reviewed and versioned like any setting.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, SecretBytes, ValidationError

from connectors.base import MappedConnector
from connectors.placing import Neighbourhoods
from connectors.registry import CONNECTORS
from connectors.rejections import RecordRejected
from engage.errors import ConfigurationError
from events import Frozen

MIN_SECRET_LENGTH = 32

NOT_OVER_HTTP: Mapping[str, str] = {
    "police-uk-crime": "it reads police.uk's published files, and a record without a Crime ID takes its "
    "key from its place in the file",
    "police-uk-priorities": "it reads police.uk's own publications, whose records name no neighbourhood "
    "(ingest gives one with --neighbourhood) and lose their contact details as the file is read",
    "police-uk-events": "it reads police.uk's own publications, whose records name no neighbourhood "
    "(ingest gives one with --neighbourhood) and lose their contact details as the file is read",
}
"""Connectors that need their file, not just a record's fields, and why. Those that read a mapping
file beside each export (``MappedConnector``: council CSV, surveys, FixMyStreet) are not served either."""

MAPPED = (
    "its records are read with the mapping file beside each export; ingest the export, or send the "
    "records as 'canonical' events"
)


def why_not_served(source: str) -> str | None:
    """Why a registered source cannot take records over HTTP, or None when it can."""
    if source in NOT_OVER_HTTP:
        return NOT_OVER_HTTP[source]
    if isinstance(CONNECTORS[source](), MappedConnector):
        return MAPPED
    return None


Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")]


def served_sources() -> frozenset[str]:
    return frozenset(source for source in CONNECTORS if why_not_served(source) is None)


class GrantEntry(Frozen):
    """One entry of the grants file, as written."""

    partner: Name
    key_id: Name
    secret_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    sources: Annotated[tuple[str, ...], Field(min_length=1)]
    neighbourhoods: Literal["*"] | Annotated[tuple[str, ...], Field(min_length=1)]


class GrantsFile(Frozen):
    grants: Annotated[tuple[GrantEntry, ...], Field(min_length=1)]


class Grant(Frozen):
    """What one key may do, with its secret and its neighbourhoods resolved to ids."""

    partner: str
    key_id: str
    secret: SecretBytes
    sources: frozenset[str]
    neighbourhoods: frozenset[str] | None
    """Neighbourhood ids this key may send records about; None for all of them."""

    def covers(self, neighbourhood_id: str) -> bool:
        return self.neighbourhoods is None or neighbourhood_id in self.neighbourhoods


class Grants:
    """The grants by key id."""

    def __init__(self, grants: Collection[Grant]) -> None:
        self._by_key = {grant.key_id: grant for grant in grants}
        if len(self._by_key) != len(grants):
            raise ConfigurationError("two grants share a key_id; give every key its own id")

    def __len__(self) -> int:
        return len(self._by_key)

    def for_key(self, key_id: str) -> Grant | None:
        return self._by_key.get(key_id)

    @classmethod
    def from_document(
        cls,
        document: Any,
        where: str,
        neighbourhoods: Neighbourhoods,
        environ: Mapping[str, str],
    ) -> Grants:
        try:
            parsed = GrantsFile.model_validate(document)
        except ValidationError as exc:
            error = exc.errors()[0]
            at = ".".join(str(part) for part in error["loc"])
            raise ConfigurationError(
                f"{where}: {at}: {error['msg']}; see docs/gateway.md for the grants file's format"
            ) from None
        return cls([_resolve(entry, where, neighbourhoods, environ) for entry in parsed.grants])

    @classmethod
    def load(
        cls, path: Path, neighbourhoods: Neighbourhoods, environ: Mapping[str, str] | None = None
    ) -> Grants:
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(
                f"cannot read the gateway's grants from {path}: {exc}; set ENGAGE_GATEWAY_GRANTS_PATH "
                "(docs/gateway-grants.example.yaml shows the format)"
            ) from exc
        return cls.from_document(
            document, str(path), neighbourhoods, os.environ if environ is None else environ
        )


def _resolve(
    entry: GrantEntry, where: str, neighbourhoods: Neighbourhoods, environ: Mapping[str, str]
) -> Grant:
    here = f"{where}: key {entry.key_id!r}"
    secret = environ.get(entry.secret_env, "")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"{here}: the variable {entry.secret_env} must hold the key's secret, at least "
            f"{MIN_SECRET_LENGTH} characters (make one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')"
        )
    for source in entry.sources:
        if source not in CONNECTORS:
            raise ConfigurationError(
                f"{here}: no source is called {source!r}; choose from {sorted(served_sources())}"
            )
        reason = why_not_served(source)
        if reason is not None:
            raise ConfigurationError(f"{here}: source {source!r} cannot be sent over HTTP: {reason}")
    allowed: frozenset[str] | None = None
    if entry.neighbourhoods != "*":
        ids = set()
        for name in entry.neighbourhoods:
            try:
                ids.add(neighbourhoods.by_id(name).id)
            except RecordRejected:
                try:
                    ids.add(neighbourhoods.by_name(name).id)
                except RecordRejected:
                    raise ConfigurationError(
                        f"{here}: {name!r} is neither the id nor the name of a neighbourhood"
                    ) from None
        allowed = frozenset(ids)
    return Grant(
        partner=entry.partner,
        key_id=entry.key_id,
        secret=SecretBytes(secret.encode("utf-8")),
        sources=frozenset(entry.sources),
        neighbourhoods=allowed,
    )
