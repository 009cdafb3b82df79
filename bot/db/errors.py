"""Which failures mean "the database could not be reached" (retry later) rather than a bug."""

from __future__ import annotations

import errno
import socket

from sqlalchemy import exc as sa_exc


class DatabaseUnavailable(Exception):  # noqa: N818 - a state of the database, like Unreachable
    """The database could not be reached; nothing was committed, try again later."""


# Driver errors that mean the connection is gone (asyncpg's, without importing the driver).
_DRIVER_NAMES = frozenset(
    {
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "InterfaceError",
        "InternalClientError",
        "TooManyConnectionsError",
    }
)


_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)


def is_unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it) says the database was unreachable: SQLAlchemy's
    OperationalError / InterfaceError / DisconnectionError / pool timeout, a connection the
    driver lost or could not open (connection errors, network errnos, TimeoutError), or
    DatabaseUnavailable itself.
    Programming errors, integrity errors and everything else are bugs, not outages."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            DatabaseUnavailable
            | sa_exc.OperationalError
            | sa_exc.InterfaceError
            | sa_exc.DisconnectionError
            | sa_exc.TimeoutError
            | ConnectionError
            | TimeoutError,
        ):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, socket.gaierror) or (
            isinstance(current, OSError)
            and (current.errno in _NETWORK_ERRNOS or str(current).startswith("Multiple excep"))
        ):
            return True
        if type(current).__name__ in _DRIVER_NAMES:
            return True
        current = current.__cause__ or current.__context__
    return False
