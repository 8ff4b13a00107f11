"""How every Kafka client of this system authenticates, from the settings, in one place.

kafka-python (the connectors' publisher, the gateway, the admin calls, the sink and the rebuild) takes
``client_options``; the Faust worker takes the same user, password, mechanism and TLS context through
``streams.transport.broker_credentials``. With the default PLAINTEXT nothing is added, so the clients
are configured exactly as without this module.
"""

from __future__ import annotations

import ssl
from typing import Any

from engage.errors import ConfigurationError
from engage.settings import Settings


def authenticated(settings: Settings) -> bool:
    return settings.kafka_security_protocol != "PLAINTEXT"


def username(settings: Settings) -> str:
    if not settings.kafka_username:
        raise ConfigurationError(
            f"ENGAGE_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs a Kafka user: "
            "set ENGAGE_KAFKA_USERNAME"
        )
    return settings.kafka_username


def password(settings: Settings) -> str:
    """ENGAGE_KAFKA_PASSWORD, else the first line of the file ENGAGE_KAFKA_PASSWORD_FILE names."""
    value = settings.kafka_password.get_secret_value()
    if not value and settings.kafka_password_file is not None:
        try:
            lines = settings.kafka_password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(
                f"ENGAGE_KAFKA_PASSWORD_FILE names {settings.kafka_password_file}, which cannot be read "
                f"({exc.strerror}); give this user read access to it or set ENGAGE_KAFKA_PASSWORD"
            ) from exc
        value = lines[0].strip() if lines else ""
    if not value:
        raise ConfigurationError(
            f"ENGAGE_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs the password of "
            f"the Kafka user {settings.kafka_username!r}: "
            "set ENGAGE_KAFKA_PASSWORD or ENGAGE_KAFKA_PASSWORD_FILE"
        )
    return value


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying TLS context for SASL_SSL (hostname checked, certificate required), else None."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    cafile = settings.kafka_ssl_cafile
    if cafile is not None and not cafile.is_file():
        raise ConfigurationError(
            f"ENGAGE_KAFKA_SSL_CAFILE names {cafile}, which is not a file; give the PEM file of the "
            "authority that signed the broker's certificate, or unset it to use the system's"
        )
    return ssl.create_default_context(cafile=str(cafile) if cafile is not None else None)


def client_options(settings: Settings) -> dict[str, Any]:
    """kafka-python's security options (KafkaProducer, KafkaConsumer, KafkaAdminClient)."""
    if not authenticated(settings):
        return {}
    options: dict[str, Any] = {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": username(settings),
        "sasl_plain_password": password(settings),
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    return options


def refusal_hint(settings: Settings) -> str:
    """What to check when no broker answers: with SASL, a refused login looks the same to kafka-python."""
    if not authenticated(settings):
        return ""
    return (
        f", or it refused the login of {settings.kafka_username!r} "
        f"({settings.kafka_sasl_mechanism} over {settings.kafka_security_protocol}): check "
        "ENGAGE_KAFKA_USERNAME and ENGAGE_KAFKA_PASSWORD"
    )
