"""Tokens: kept only as hashes, read again when the file changes, refused when it breaks; the local
analyst token that `engage up` makes for the CLI; the Authorization header's forms."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from engage import logs
from engage.cli import app as cli
from engage.errors import ConfigurationError
from engage.settings import Settings
from projections.api.access import (
    LOCAL_TOKEN_NAME,
    PUBLIC,
    Principal,
    Refusal,
    Role,
    StaticTokens,
    TokenFile,
    add_token,
    auth_headers,
    client_token,
    ensure_local_token,
    hash_token,
    parse_tokens,
    resolve,
)

HASH = hash_token("s3cret")


def document(*entries: dict[str, str]) -> str:
    return yaml.safe_dump({"tokens": list(entries)})


class TestTokensFile:
    def test_a_token_is_known_by_its_hash_only(self) -> None:
        tokens = parse_tokens(document({"name": "ana", "role": "analyst", "sha256": HASH}), "t.yaml")
        assert tokens == {HASH: Principal("ana", Role.ANALYST)}
        assert "s3cret" not in document({"name": "ana", "role": "analyst", "sha256": HASH})

    @pytest.mark.parametrize(
        ("entries", "said"),
        [
            ([{"name": "a", "role": "chief", "sha256": HASH}], "role"),
            ([{"name": "a", "role": "analyst", "sha256": "s3cret"}], "sha256"),
            ([{"name": "a b", "role": "analyst", "sha256": HASH}], "name"),
            (
                [
                    {"name": "a", "role": "analyst", "sha256": HASH},
                    {"name": "a", "role": "partner", "sha256": "0" * 64},
                ],
                "twice",
            ),
            (
                [
                    {"name": "a", "role": "analyst", "sha256": HASH},
                    {"name": "b", "role": "partner", "sha256": HASH},
                ],
                "another's",
            ),
        ],
    )
    def test_a_bad_entry_is_refused_with_what_to_fix(self, entries: list[dict[str, str]], said: str) -> None:
        with pytest.raises(ConfigurationError, match=said):
            parse_tokens(document(*entries), "t.yaml")

    def test_the_file_is_read_again_when_it_changes_and_a_broken_one_lets_no_token_in(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "tokens.yaml"
        path.write_text(document({"name": "ana", "role": "analyst", "sha256": HASH}))
        tokens = TokenFile(path)
        assert tokens.lookup("s3cret") == Principal("ana", Role.ANALYST)
        path.write_text(document({"name": "ana", "role": "partner", "sha256": HASH}) + "\n")
        assert tokens.lookup("s3cret") == Principal("ana", Role.PARTNER)
        path.write_text("tokens: [ {name: ana, role: analyst")  # an edit gone wrong
        assert tokens.lookup("s3cret") is None
        path.unlink()
        assert tokens.lookup("s3cret") is None

    def test_a_service_does_not_start_on_a_broken_file(self, tmp_path: Path) -> None:
        path = tmp_path / "tokens.yaml"
        path.write_text("tokens: 3")
        with pytest.raises(ConfigurationError, match="tokens"):
            TokenFile(path)


class TestHeader:
    TOKENS = StaticTokens({"s3cret": Principal("ana", Role.ANALYST)})

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, PUBLIC),
            ("Bearer s3cret", Principal("ana", Role.ANALYST)),
            ("bearer   s3cret ", Principal("ana", Role.ANALYST)),
        ],
    )
    def test_who_is_asking(self, header: str | None, expected: Principal) -> None:
        assert resolve(header, self.TOKENS) == expected

    @pytest.mark.parametrize("header", ["Bearer", "", "Basic s3cret", "Bearer wrong", "s3cret"])
    def test_anything_else_is_refused(self, header: str) -> None:
        assert isinstance(resolve(header, self.TOKENS), Refusal)


class TestLocalToken:
    def test_up_makes_a_private_token_and_stores_its_hash(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        assert ensure_local_token(settings) == settings.local_token_path
        token = settings.local_token_path.read_text().strip()
        assert len(token) >= 40
        for path in (settings.local_token_path, settings.api_tokens):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert token not in settings.api_tokens.read_text()
        assert TokenFile(settings.api_tokens).lookup(token) == Principal(LOCAL_TOKEN_NAME, Role.ANALYST)
        assert client_token(settings) == token
        assert auth_headers(settings) == {"Authorization": f"Bearer {token}"}

    def test_it_is_kept_across_runs_and_remade_when_its_entry_is_lost(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        ensure_local_token(settings)
        first = settings.local_token_path.read_text()
        partner = add_token(settings.api_tokens, "council", Role.PARTNER)
        ensure_local_token(settings)
        assert settings.local_token_path.read_text() == first
        settings.api_tokens.write_text(document())
        ensure_local_token(settings)
        second = settings.local_token_path.read_text()
        assert second != first
        tokens = TokenFile(settings.api_tokens)
        assert tokens.lookup(second.strip()) is not None and tokens.lookup(first.strip()) is None
        assert tokens.lookup(partner) is None  # the file was emptied by hand: the partner went with it

    def test_other_tokens_in_the_file_are_kept(self, tmp_path: Path) -> None:
        settings = Settings(var_dir=tmp_path)
        partner = add_token(settings.api_tokens, "council", Role.PARTNER)
        ensure_local_token(settings)
        assert TokenFile(settings.api_tokens).lookup(partner) == Principal("council", Role.PARTNER)

    def test_a_configured_file_is_the_operators(self, tmp_path: Path) -> None:
        configured = tmp_path / "ops" / "tokens.yaml"
        settings = Settings(var_dir=tmp_path, api_tokens_path=configured, api_token="from-env")
        assert ensure_local_token(settings) is None
        assert not configured.exists() and not settings.local_token_path.exists()
        assert client_token(settings) == "from-env"

    def test_no_token_means_public(self, tmp_path: Path) -> None:
        assert auth_headers(Settings(var_dir=tmp_path)) == {}


def test_engage_token_prints_a_new_token_once_and_stores_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_VAR_DIR", str(tmp_path))
    # The CLI configures structlog for the whole process (and the runner's stderr closes after it).
    monkeypatch.setattr(logs, "configure", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli, ["token", "camden-council", "--role", "partner"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    stored = tmp_path / "api_tokens.yaml"
    assert token not in stored.read_text()
    assert TokenFile(stored).lookup(token) == Principal("camden-council", Role.PARTNER)
    refused = CliRunner().invoke(cli, ["token", "camden council"])
    assert refused.exit_code != 0
