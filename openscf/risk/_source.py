"""Where the features are computed: one Ibis backend holding the observable tables.

A `Source` names the engine (`duckdb`, `postgres` or `spark`) and the tables it reads. The
feature expressions (`openscf.risk.features`) are written once against Ibis tables and run
unchanged on each. DuckDB reads the Parquet export in-process (the default); PostgreSQL
reads tables of the same names and columns in a schema; Spark (local mode, or a cluster the
caller's session points at) reads the same Parquet files.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from openscf.errors import InvalidRequest, NotFound

__all__ = [
    "ENGINES",
    "OBSERVABLE_TABLES",
    "Source",
    "load_into_postgres",
    "open_source",
]

ENGINES = ("duckdb", "postgres", "spark")
# The observable tables a feature may read (the ground truth is read by the labels only).
OBSERVABLE_TABLES = ("firms", "invoices", "payments", "receivables", "events")
GROUND_TRUTH_TABLES = ("labels", "health")


@dataclass
class Source:
    """An engine and the export's tables in it."""

    engine: str
    backend: Any
    tables: dict[str, ir.Table] = field(default_factory=dict)
    _last_day: date | None = None

    def table(self, name: str) -> ir.Table:
        try:
            return self.tables[name]
        except KeyError:
            raise NotFound(
                "missing_table",
                f"the data has no table {name!r}: export the simulation again "
                f"(openscf simulate writes {name}.parquet)",
                param=name,
            ) from None

    def last_day(self) -> date:
        """The last day the observable data knows anything about: a later as-of date
        would be a date in the future of the data."""
        if self._last_day is None:
            inv = self.table("invoices")
            pay = self.table("payments")
            ev = self.table("events")
            days = [
                inv.issued_on.max().name("d"),
                pay.paid_on.max().name("d"),
                ev.occurred_at.substr(0, 10).max().cast("date").name("d"),
            ]
            found = [_scalar(self, d) for d in days]
            known = [d for d in found if d is not None]
            if not known:
                raise InvalidRequest("empty_data", "the data holds no trade at all")
            self._last_day = max(known)
        return self._last_day

    def check_as_of(self, as_of: date) -> None:
        last = self.last_day()
        if as_of > last:
            raise InvalidRequest(
                "as_of_in_future",
                f"as-of date {as_of.isoformat()} is after the last day of the data "
                f"({last.isoformat()}): choose a date on or before it",
                param="as_of",
            )

    def close(self) -> None:
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None and self.engine != "spark":
            disconnect()


def _scalar(source: Source, expr: ir.Scalar) -> Any:
    value = source.backend.execute(expr)
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # type: ignore[attr-defined]
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _parquet_paths(directory: Path, names: tuple[str, ...]) -> Mapping[str, Path]:
    if not directory.is_dir():
        raise NotFound(
            "missing_data", f"no data directory at {directory}: give the folder of an export"
        )
    paths = {}
    for name in names:
        path = directory / f"{name}.parquet"
        if path.exists():
            paths[name] = path
    return paths


def _spark_session() -> Any:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("openscf-risk")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def open_source(
    data: str | Path,
    engine: str = "duckdb",
    *,
    schema: str | None = None,
    spark_session: Any = None,
) -> Source:
    """Open the export at `data`: a folder of Parquet files (DuckDB, Spark) or a
    PostgreSQL URL whose `schema` holds tables of the same names (PostgreSQL)."""
    names = OBSERVABLE_TABLES + GROUND_TRUTH_TABLES
    if engine not in ENGINES:
        raise InvalidRequest(
            "unknown_engine", f"engine {engine!r} is not one of {', '.join(ENGINES)}"
        )
    if engine == "postgres":
        backend = _pg_connect(str(data))
        present = set(backend.list_tables(database=schema) if schema else backend.list_tables())
        tables = {
            name: backend.table(name, database=schema) if schema else backend.table(name)
            for name in names
            if name in present
        }
        return Source("postgres", backend, tables)
    paths = _parquet_paths(Path(data), names)
    if engine == "duckdb":
        backend = ibis.duckdb.connect()
    else:
        try:
            session = spark_session or _spark_session()
            backend = ibis.pyspark.connect(session)
        except ImportError:
            raise InvalidRequest(
                "engine_not_installed",
                "the spark engine needs pyspark: pip install 'openscf[spark]'",
            ) from None
    # names of their own: several sources may share one Spark session
    tag = uuid.uuid4().hex[:12]
    tables = {
        name: backend.read_parquet(str(path), table_name=f"openscf_{name}_{tag}")
        for name, path in paths.items()
    }
    return Source(engine, backend, tables)


def _pg_connect(url: str) -> Any:
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise InvalidRequest(
            "bad_database_url",
            f"the postgres engine reads a postgresql:// URL, not {parts.scheme or url!r}",
        )
    try:
        return ibis.postgres.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            database=parts.path.lstrip("/") or None,
        )
    except Exception as exc:  # the driver's error names host, port and cause
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidRequest(
            "database_unreachable",
            f"cannot open the PostgreSQL database at {parts.hostname}:{parts.port or 5432}: "
            f"{first}",
        ) from None


def load_into_postgres(directory: str | Path, url: str, schema: str) -> None:
    """Copy the export's tables (those the features and labels read) into `schema` of the
    PostgreSQL database at `url`, replacing what was there."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    backend = _pg_connect(url)
    try:
        backend.raw_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for name, path in _parquet_paths(
            Path(directory), OBSERVABLE_TABLES + GROUND_TRUTH_TABLES
        ).items():
            table = pq.read_table(path)
            if "programs" in table.column_names:  # a list column the features never read
                table = table.drop(["programs"])
            for i, column in enumerate(table.schema):
                if pa.types.is_null(column.type):  # all empty: typed as text in PostgreSQL
                    table = table.set_column(i, column.name, table.column(i).cast(pa.string()))
            backend.raw_sql(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
            backend.create_table(name, table, database=schema)
    finally:
        backend.disconnect()


@contextmanager
def opened(data: str | Path, engine: str = "duckdb", **options: Any) -> Iterator[Source]:
    source = open_source(data, engine, **options)
    try:
        yield source
    finally:
        source.close()
