"""PostgreSQL's binary COPY format, written by hand, for rows made in another process (ADR 0024).

An import's facts are validated, digested and sealed in worker processes (ADR 0014); only their
person's id and the commit's instant need the writer. So a worker encodes each fact's other
columns as binary COPY fields once (`text_field`, `bytes_field`, `instant_field`), the writer
appends the last two and streams the batch as one COPY: no row dict, no per-value type
processing, no psycopg row formatting on the writer, and on the server no text to parse (bytea
goes as it is, not as hex; an instant as 8 bytes, not as text to parse).

The layout (PostgreSQL manual, "COPY", binary format): an 11-byte signature, a 32-bit flags
field and a 32-bit header-extension length (both 0); then each row as a 16-bit field count and,
per field, a 32-bit length (-1 for NULL) and the value in the type's binary send/receive form;
then a 16-bit -1. Only the types the facts table needs are here: text (varchar, UTF-8, as the
connection's client encoding is), bytea, and timestamptz (64-bit microseconds since
2000-01-01 UTC).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

import psycopg
from sqlalchemy import Connection, exc

SIGNATURE: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER: Final = struct.pack(">h", -1)
_LENGTH: Final = struct.Struct(">i")
_INSTANT: Final = struct.Struct(">iq")  # its length (8), then microseconds since the epoch
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
NULL: Final = _LENGTH.pack(-1)
_WRITE_BYTES: Final = 1 << 20  # a COPY message's worth: memory stays flat for any batch size


def field_count(count: int) -> bytes:
    """What starts a row of `count` fields."""
    return struct.pack(">h", count)


def text_field(value: str) -> bytes:
    data = value.encode("utf-8")
    return _LENGTH.pack(len(data)) + data


def bytes_field(value: bytes | None) -> bytes:
    return NULL if value is None else _LENGTH.pack(len(value)) + value


def instant_field(value: datetime) -> bytes:
    """A timestamptz. A naive datetime is refused, as the `UtcInstant` column type refuses it."""
    if value.tzinfo is None:
        raise ValueError("a naive datetime names no instant")
    return _INSTANT.pack(8, (value - _EPOCH) // _MICROSECOND)


def copy_binary(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[bytes]
) -> None:
    """COPY `rows` (each a whole row: `field_count` and its fields, in `columns` order) into
    `table`, in the connection's open transaction. Errors are raised as SQLAlchemy's, as from an
    INSERT (a duplicate key fails the whole COPY)."""
    # Identifiers from the schema only, never from input.
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            pending, size = [SIGNATURE], len(SIGNATURE)
            for row in rows:
                pending.append(row)
                size += len(row)
                if size >= _WRITE_BYTES:
                    copy.write(b"".join(pending))
                    pending, size = [], 0
            pending.append(TRAILER)
            copy.write(b"".join(pending))
    except psycopg.Error as error:
        raise exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error
