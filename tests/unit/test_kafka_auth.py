"""Every Kafka client takes its credentials from the settings: kafka-python's options, the Faust app's
broker credentials as faust hands them to aiokafka, and the local broker's mode in `engage up`."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from faust.auth import SASLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import AuthProtocol, SASLMechanism
from pydantic import SecretStr

from engage import kafka_auth, processes
from engage.errors import ConfigurationError
from engage.settings import Settings
from streams import transport
from streams.app import create_app

PASSWORD = "a-password-for-tests-only"


def sasl(**changes: object) -> Settings:
    fields: dict[str, object] = {
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_username": "engage",
        "kafka_password": SecretStr(PASSWORD),
    }
    fields.update(changes)
    return Settings.model_validate(fields)


class TestPlaintextChangesNothing:
    def test_the_default_is_plaintext_with_no_options_and_no_credentials(self) -> None:
        settings = Settings()
        assert settings.kafka_security_protocol == "PLAINTEXT"
        assert kafka_auth.client_options(settings) == {}
        assert transport.broker_credentials(settings) is None
        assert create_app(settings).conf.broker_credentials is None
        assert processes.broker_security(settings) == "plaintext"


class TestSasl:
    def test_kafka_python_gets_user_password_and_mechanism(self) -> None:
        assert kafka_auth.client_options(sasl()) == {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "engage",
            "sasl_plain_password": PASSWORD,
        }

    def test_faust_hands_the_same_login_to_aiokafka(self) -> None:
        credentials = create_app(sasl()).conf.broker_credentials
        assert isinstance(credentials, SASLCredentials)
        assert credentials.protocol is AuthProtocol.SASL_PLAINTEXT
        assert credentials.mechanism is SASLMechanism.SCRAM_SHA_512
        # What faust's aiokafka driver (and so this project's transport, its subclass) gives every client.
        assert credentials_to_aiokafka_auth(credentials) == {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": "engage",
            "sasl_plain_password": PASSWORD,
            "ssl_context": None,
        }
        assert PASSWORD not in repr(credentials)

    def test_settings_are_read_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENGAGE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
        monkeypatch.setenv("ENGAGE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
        monkeypatch.setenv("ENGAGE_KAFKA_USERNAME", "engage-east")
        monkeypatch.setenv("ENGAGE_KAFKA_PASSWORD", PASSWORD)
        settings = Settings()
        options = kafka_auth.client_options(settings)
        assert (options["sasl_mechanism"], options["sasl_plain_username"]) == ("SCRAM-SHA-256", "engage-east")
        assert PASSWORD not in repr(settings)

    def test_the_password_may_come_from_a_file(self, tmp_path: Path) -> None:
        secret = tmp_path / "kafka_engage_password"
        secret.write_text(f"{PASSWORD}\n", encoding="utf-8")
        settings = sasl(kafka_password=SecretStr(""), kafka_password_file=secret)
        assert kafka_auth.client_options(settings)["sasl_plain_password"] == PASSWORD

    def test_no_password_is_a_configuration_error_that_names_the_settings(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="ENGAGE_KAFKA_PASSWORD"):
            kafka_auth.client_options(sasl(kafka_password=SecretStr("")))
        with pytest.raises(ConfigurationError, match="cannot be read"):
            kafka_auth.client_options(
                sasl(kafka_password=SecretStr(""), kafka_password_file=tmp_path / "missing")
            )
        with pytest.raises(ConfigurationError, match="ENGAGE_KAFKA_USERNAME"):
            transport.broker_credentials(sasl(kafka_username=""))

    def test_sasl_ssl_verifies_the_broker_certificate(self) -> None:
        settings = sasl(kafka_security_protocol="SASL_SSL")
        context = kafka_auth.client_options(settings)["ssl_context"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
        credentials = transport.broker_credentials(settings)
        assert credentials is not None and credentials.protocol is AuthProtocol.SASL_SSL

    def test_a_missing_ca_file_is_a_configuration_error(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="ENGAGE_KAFKA_SSL_CAFILE"):
            kafka_auth.client_options(
                sasl(kafka_security_protocol="SASL_SSL", kafka_ssl_cafile=tmp_path / "ca.pem")
            )


class TestLocalBroker:
    def test_sasl_settings_start_the_local_broker_in_sasl_mode(self) -> None:
        assert processes.broker_security(sasl()) == "sasl"

    @pytest.mark.parametrize(
        ("protocol", "mechanism"), [("SASL_SSL", "SCRAM-SHA-512"), ("SASL_PLAINTEXT", "PLAIN")]
    )
    def test_what_the_local_broker_cannot_speak_is_refused(self, protocol: str, mechanism: str) -> None:
        settings = sasl(kafka_security_protocol=protocol, kafka_sasl_mechanism=mechanism)
        with pytest.raises(ConfigurationError, match="ENGAGE_MANAGE_BROKER=false"):
            processes.broker_security(settings)

    def test_the_components_never_get_the_admin_password(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KAFKA_ADMIN_PASSWORD", "the-super-user-password")
        env = processes.component_env(sasl())
        assert "KAFKA_ADMIN_PASSWORD" not in env
        assert env["ENGAGE_KAFKA_PASSWORD"] == PASSWORD
        assert env["ENGAGE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
