"""One root exception; each error says what the user should do next."""

from __future__ import annotations


class EngageError(Exception):
    """Root of every error this system raises on purpose."""

    retryable: bool = False


class BrokerUnavailable(EngageError):
    """Kafka did not answer."""

    retryable = True


class PublishFailed(EngageError):
    """The broker did not acknowledge every event of a run."""

    retryable = True


class ServiceUnavailable(EngageError):
    """The read-side service did not answer."""

    retryable = True


class QueryRejected(EngageError):
    """An analyst's SQL was refused (not a read, or invalid)."""


class ConfigurationError(EngageError):
    """A setting or an input file is unusable."""


class NotCaughtUp(EngageError):
    """The consumers did not reach the end of their topics in time."""

    retryable = True


class RequestRefused(EngageError):
    """The read-side service refused a request: a bad parameter, an unknown token, or a role that may
    not read what was asked. The message is the service's own."""
