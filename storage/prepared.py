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

Driver errors are raised as SQLAlchemy's exceptions (``IntegrityError``,
``OperationalError``), so callers treat conflicts and locks the same on either path. On
other backends (PostgreSQL) the statement simply goes through ``Connection.execute``.

Only fixed statements qualify: no expanding ``IN`` lists and no Python-side column defaults
(both are computed per call by SQLAlchemy); ``Prepared`` refuses them when compiling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

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
        self._compiled: dict[frozenset[str], _Compiled] = {}

    def execute(self, conn: Connection,
                params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> PreparedResult:
        many = not isinstance(params, dict | Mapping)
        if conn.dialect.name != "sqlite":
            result = conn.execute(self.statement, params)  # type: ignore[arg-type]
            rows = [] if many or not result.returns_rows else [r._mapping for r in result]
            return PreparedResult(result.rowcount, rows)
        first: Mapping[str, Any] = params[0] if many else params  # type: ignore[index,assignment]
        key = frozenset(first)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(conn.dialect, key)
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
            processed = compiled.processed
            rows = []
            for raw in cursor.fetchall():
                row = dict(zip(compiled.columns, raw, strict=True))
                for name, proc in processed:
                    row[name] = proc(row[name])
                rows.append(row)
            return PreparedResult(cursor.rowcount, rows)
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


def _bind_processor(type_: Any, dialect: Dialect) -> Processor | None:
    processor: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    if compiled.constants:
        params = {**compiled.constants, **params}
    return [params[name] if proc is None else proc(params[name])
            for name, proc in compiled.binds]
