"""Hot statements run straight on the SQLite driver, with SQLAlchemy's own type handling.

Every update runs the same four or five statements (deduplicate, load the person, save the
conversation and the person, queue the reply). Through ``Connection.execute`` each costs
about 100 µs of SQLAlchemy bookkeeping (execution context, result metadata, events) for
15–20 µs of SQLite work: most of an update's time went to the bookkeeping, not the data.

A ``Prepared`` statement is compiled by SQLAlchemy once per set of parameter names, and
its bind and result processors (UTC datetimes, booleans, JSON, sealed columns) are taken
from the same types, so values are stored and read exactly as the SQLAlchemy path stores
and reads them (a test runs both paths and compares the rows). Then each call is one
``sqlite3`` ``execute`` on the connection already inside the unit of work's transaction.

On PostgreSQL (asyncpg) the same holds for a different reason: the statement is one
network round trip, but ``Connection.execute`` and its asyncpg cursor add ~10 % of a
webhook process's time under load (profiled in ``bench/load.py``). There a prepared
statement is run on asyncpg's own prepared statement, taken from the cache of SQLAlchemy's
asyncpg adapter, inside the transaction the adapter keeps, with its lock held: the adapter's
own steps, minus the execution context and result wrapping. Those are SQLAlchemy's private
parts (``AsyncAdapt_asyncpg_connection``); the lock pins the version, and the tests run
every statement on PostgreSQL too. Other drivers go through ``Connection.execute``.

Driver errors are raised as SQLAlchemy's exceptions (``IntegrityError``,
``OperationalError``), so callers treat conflicts and locks the same on either path; on
PostgreSQL through SQLAlchemy's own handler, which also invalidates a connection that was
lost, so that the unit is retried on a new one (``db.is_transient``).

Only fixed statements qualify: no expanding ``IN`` lists and no Python-side column defaults
(both are computed per call by SQLAlchemy); ``Prepared`` refuses them when compiling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, Processor | None], ...]  # in the order of the placeholders
    columns: tuple[str, ...]
    processed: tuple[tuple[str, Processor], ...]  # the columns that need converting
    constants: dict[str, Any]


class Record(dict[str, Any]):
    """A row whose columns also read as attributes, like SQLAlchemy's ``Row``."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class PreparedResult:
    """The part of a result the hot path needs: rows as mappings, and the row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rowcount: int, rows: list[Mapping[str, Any]]) -> None:
        self.rowcount = rowcount
        self._rows = rows

    def first(self) -> Mapping[str, Any] | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Mapping[str, Any]]:
        return self._rows


class Prepared:
    """One Core statement, run on SQLite's driver directly (see the module docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # by dialect and parameter names: one process may hold both backends (the tests do)
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def execute(self, conn: Connection,
                params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> PreparedResult:
        many = not isinstance(params, dict | Mapping)
        driver = conn.dialect.driver
        if conn.dialect.name != "sqlite" and (many or driver != "asyncpg"):
            result = conn.execute(self.statement, params)  # type: ignore[arg-type]
            rows = [] if many or not result.returns_rows else [r._mapping for r in result]
            return PreparedResult(result.rowcount, rows)
        first: Mapping[str, Any] = params[0] if many else params  # type: ignore[index,assignment]
        names = frozenset(first)
        key = (conn.dialect.name, names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(conn.dialect, names)
        if driver == "asyncpg":
            return _on_asyncpg(conn, compiled, _bind(compiled, first))
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        try:
            if many:
                cursor = dbapi.executemany(
                    compiled.sql, [_bind(compiled, p) for p in params])  # type: ignore[union-attr]
                return PreparedResult(cursor.rowcount, [])
            cursor = dbapi.execute(compiled.sql, _bind(compiled, first))
            if not compiled.columns:
                return PreparedResult(cursor.rowcount, [])
            return PreparedResult(cursor.rowcount, _rows(compiled, cursor.fetchall()))
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                compiled.sql, None, exc, conn.dialect.loaded_dbapi.Error,
                dialect=conn.dialect) from exc

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        compiled: Any = self.statement.compile(dialect=dialect, column_keys=sorted(keys))
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a prepared statement cannot fill Python-side column defaults; "
                             "give every column a value")
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a prepared statement cannot take an expanding IN list")
        names = tuple(compiled.positiontup or ())
        binds: list[Processor | None] = []
        constants: dict[str, Any] = {}
        for name in names:
            bind = compiled.binds[name]
            processor = _bind_processor(bind.type, dialect)
            if name in keys:
                binds.append(processor)
            elif bind.callable is None and not bind.required:
                # A literal written in the statement ("version + 1"): bound once, here.
                value = bind.effective_value
                constants[name] = value if processor is None else processor(value)
                binds.append(None)
            else:
                raise ValueError(f"no value given for the parameter {name!r}")
        columns: tuple[str, ...] = ()
        results: tuple[Processor | None, ...] = ()
        selected = list(getattr(self.statement, "exported_columns", ()))
        if selected:  # a select, or RETURNING
            columns = tuple(column.key for column in selected)
            if len(set(columns)) != len(columns):
                raise ValueError("a prepared select needs distinct column names")
            results = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in selected)
        processed = tuple((name, proc) for name, proc in zip(columns, results, strict=True)
                          if proc is not None)
        return _Compiled(compiled.string, tuple(zip(names, binds, strict=True)), columns,
                         processed, constants)


_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


def _on_asyncpg(conn: Connection, compiled: _Compiled, args: list[Any]) -> PreparedResult:
    """One statement on asyncpg, as SQLAlchemy's asyncpg cursor runs it (see the module
    docstring), from inside the unit of work's greenlet."""
    adapted: Any = conn.connection.dbapi_connection
    try:
        raw, status = await_(_fetch(adapted, compiled.sql, args,
                                    getattr(conn.dialect, "_invalidate_schema_cache_asof", 0)))
    except BaseException as exc:  # as SQLAlchemy's own path: a cancelled unit too
        dbapi = conn.dialect.loaded_dbapi
        if isinstance(exc, dbapi.InvalidCachedStatementError | dbapi.InternalServerError):
            # the schema changed under the cached statements (a migration by a newer
            # process): every connection prepares them again, as SQLAlchemy's context does
            conn.dialect._invalidate_schema_cache()  # type: ignore[attr-defined]
        conn._handle_dbapi_exception(exc, compiled.sql, tuple(args), None, None)
    match = _STATUS.match(status or "")
    rowcount = int(match.group(1)) if match else -1
    return PreparedResult(rowcount, _rows(compiled, raw) if compiled.columns else [])


def _rows(compiled: _Compiled, raw: Sequence[Sequence[Any]]) -> list[Mapping[str, Any]]:
    """Driver rows (tuples, asyncpg records) as mappings, converted by the columns' types."""
    processed = compiled.processed
    rows: list[Mapping[str, Any]] = []
    for values in raw:
        row = Record(zip(compiled.columns, values, strict=True))
        for name, proc in processed:
            row[name] = proc(row[name])
        rows.append(row)
    return rows


async def _fetch(adapted: Any, sql: str, args: list[Any], schema_asof: float
                 ) -> tuple[list[Any], str | None]:
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        try:
            statement, _attributes = await adapted._prepare(sql, schema_asof)
            rows = await statement.fetch(*args)
            return rows, statement.get_statusmsg()
        except Exception as error:
            adapted._handle_exception(error)
            raise  # not reached: the handler raises the driver's error, translated


def _bind_processor(type_: Any, dialect: Dialect) -> Processor | None:
    processor: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    if compiled.constants:
        params = {**compiled.constants, **params}
    return [params[name] if proc is None else proc(params[name])
            for name, proc in compiled.binds]
