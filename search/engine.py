"""Full-text search with the database's own indexes: PostgreSQL or SQLite, one behaviour.

A ``SearchIndex`` describes what is searched in one table: weighted text columns (A: names,
B: taglines, industries, skills, C: descriptions) and the column that is matched fuzzily
(names). ``SearchIndexOperation`` (used in migrations) builds, for the database in use:

* **PostgreSQL**: a ``search_vector`` tsvector column kept by a trigger (also fired when the
  row's skills change), a GIN index on it, and a GIN trigram index (pg_trgm) on the name.
* **SQLite**: an FTS5 external-content table over a view of the row (porter stemming, like
  PostgreSQL's ``english`` configuration) and an FTS5 ``trigram`` table over the padded name,
  both kept in sync by triggers. Without FTS5, nothing is built and search is a plain match.

Queries are parsed once (``parse``: words, "quoted phrases", ``or``, ``-exclusion``; the last
word is a prefix while it is being typed) and compiled to a ``tsquery`` or an FTS5 expression,
so both backends read a query the same way and no input can be a syntax error. (We compile to
``to_tsquery`` rather than calling ``websearch_to_tsquery`` because the latter cannot express
the prefix match of the last word.)

Ranking, the same on both: rows matching every word (``strict``) first, then rows holding the
words as one phrase, then the weighted relevance (``ts_rank_cd`` / ``bm25`` with the same
weights) blended with trigram word similarity of the name, then the id. The index finds and
ranks at most ``CANDIDATES`` rows, so a very common word costs a bounded amount of work.
"""

import hashlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.cache import cache as django_cache
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, connections, migrations, transaction
from django.db.backends.signals import connection_created
from django.db.models import Model, Q, QuerySet, signals
from django.dispatch import receiver

logger = logging.getLogger("collabhub.search")

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MIN_PREFIX = 2  # a last word this long matches as a prefix ("pay" finds "payments")
CANDIDATES = 500  # most rows a search returns (25 pages of 20)
# The ranking is bounded: it scores the first TIER rows (in index order) matching in the name,
# the first TIER matching every word and the first TIER_ANY matching some word -- not the tens
# of thousands of rows a common word matches. (Rows matching every word rank above the others
# anyway.) No "newest first" here: on PostgreSQL that makes the planner choose between a
# newest-first scan and the GIN index on a guess of how common the words are, and a wrong
# guess cost 20-50 ms; taking the first rows the index yields is cheap either way.
TIER = 300
TIER_ANY = 150
FUZZY_CANDIDATES = 50  # rows the trigram index proposes for each misspelt word
FUZZY_SCAN = 200  # most names like the words that are read to pick those
FUZZY_MIN_LENGTH = 5  # words this long are matched fuzzily too
FUZZY_THRESHOLD = 0.45  # trigram word similarity a fuzzy match needs
FUZZY_WEIGHT = 0.6  # the fuzzy score's share of the blended relevance
CACHE_SECONDS = 600
CACHE_VERSION_KEY = "search:version"
WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}  # PostgreSQL's ts_rank defaults
MARK_START, MARK_END = "\ue000", "\ue001"  # snippet markers, turned into <mark> after escaping


# --- what is indexed ------------------------------------------------------------------------
@dataclass(frozen=True)
class SkillsSource:
    """A row's skills (an M2M through table), indexed as one text column."""

    through: str  # e.g. "startups_opportunity_skills"
    column: str  # the through table's FK to the indexed row, e.g. "opportunity_id"


@dataclass(frozen=True)
class SearchIndex:
    table: str
    columns: tuple[tuple[str, str], ...]  # (column, weight); "skills" means the SkillsSource
    name_column: str  # matched fuzzily (trigrams) and shown when nothing else matched
    skills: SkillsSource | None = None

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def trigram(self) -> str:
        return f"{self.table}_trigram"

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def stored_columns(self) -> list[str]:
        return [name for name in self.column_names if name != "skills"]


# --- capabilities ---------------------------------------------------------------------------
@cache
def sqlite_fts5_available() -> bool:
    import sqlite3

    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(a, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def backend_info() -> dict[str, Any]:
    if connection.vendor == "postgresql":
        return {
            "backend": "postgresql",
            "fts_available": True,
            "algorithms": [
                "tsvector (name A; tagline, industry, skills B; description C) with a GIN index",
                "to_tsquery: words, quoted phrases, or, -exclusion, prefix of the last word",
                "ts_rank_cd ranking",
                "pg_trgm word similarity on names (GIN trigram index)",
                "ts_headline snippets",
            ],
        }
    if sqlite_fts5_available():
        return {
            "backend": "sqlite",
            "fts_available": True,
            "algorithms": [
                "FTS5 external-content index (porter stemming) kept by triggers",
                "FTS5 queries: words, quoted phrases, OR, NOT, prefix of the last word",
                "bm25 ranking with the PostgreSQL column weights",
                "FTS5 trigram index on names for typo tolerance",
                "FTS5 snippet()",
            ],
        }
    return {
        "backend": "sqlite",
        "fts_available": False,
        "algorithms": ["case-insensitive substring match (FTS5 is not available)"],
    }


# --- query parsing --------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # more than one: a phrase
    negated: bool = False
    prefix: bool = False  # the last word, still being typed


@dataclass
class ParsedQuery:
    clauses: list[list[Term]] = field(default_factory=list)  # OR of ANDs

    @property
    def positives(self) -> list[Term]:
        return [t for clause in self.clauses for t in clause if not t.negated]

    @property
    def negatives(self) -> list[Term]:
        return [t for clause in self.clauses for t in clause if t.negated]

    @property
    def words(self) -> list[str]:
        return [word for term in self.positives for word in term.words]

    def __bool__(self) -> bool:
        return bool(self.positives)

    def normalised(self) -> str:
        def text(term: Term) -> str:
            body = " ".join(term.words)
            body = f'"{body}"' if len(term.words) > 1 else body
            return ("-" if term.negated else "") + body + ("*" if term.prefix else "")

        return " or ".join(" ".join(text(t) for t in clause) for clause in self.clauses)


_CHUNK = re.compile(r'-?"[^"]*"?|\S+')
_WORD = re.compile(r"\w+")


def parse(query: str) -> ParsedQuery:
    """Websearch-style syntax; anything that is not a word is ignored, never an error."""
    query = query.replace("\x00", " ")[:MAX_QUERY_LENGTH]
    clauses: list[list[Term]] = [[]]
    count = 0
    for match in _CHUNK.finditer(query):
        chunk = match.group()
        negated = chunk.startswith("-") and len(chunk) > 1
        body = chunk[1:] if negated else chunk
        if not negated and body.lower() == "or":
            if clauses[-1]:
                clauses.append([])
            continue
        words = tuple(word.lower() for word in _WORD.findall(body))[:MAX_TERMS]
        if not words or count >= MAX_TERMS:
            continue
        count += 1
        quoted = body.startswith('"')
        typing = match.end() == len(query) and not quoted and not negated
        prefix = typing and len(words) == 1 and len(words[0]) >= MIN_PREFIX
        clauses[-1].append(Term(words, negated=negated, prefix=prefix))
    parsed = ParsedQuery([clause for clause in clauses if any(not t.negated for t in clause)])
    return parsed


# --- query compilation ----------------------------------------------------------------------
def _tsquery_term(term: Term) -> str:
    body = " <-> ".join(f"'{word}'" for word in term.words) + (":*" if term.prefix else "")
    return f"!({body})" if term.negated else f"({body})"


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


@dataclass(frozen=True)
class Compiled:
    loose: str  # any positive term, no negative one: the candidates
    strict: str  # every term of a clause (websearch semantics)
    phrase: str | None  # all the words, in order, as one phrase
    in_name: str  # any positive term, in the name column (PostgreSQL: its own index)
    excluded: str | None  # any -excluded term: such rows are never results, fuzzy or not


def compile_tsquery(parsed: ParsedQuery) -> Compiled:
    negatives = [_tsquery_term(t) for t in parsed.negatives]
    exclude = "".join(f" & {n}" for n in negatives)
    loose = "(" + " | ".join(_tsquery_term(t) for t in parsed.positives) + ")" + exclude
    strict = " | ".join(
        "(" + " & ".join(_tsquery_term(t) for t in clause) + ")" for clause in parsed.clauses
    )
    in_name = " | ".join(_tsquery_term(t) for t in parsed.positives)
    words = parsed.words
    phrase = None
    if len(words) > 1 and len(parsed.clauses) == 1:
        prefix = parsed.positives[-1].prefix
        phrase = _tsquery_term(Term(tuple(words), prefix=prefix)) + exclude
    excluded = " | ".join(_tsquery_term(Term(t.words, prefix=t.prefix)) for t in parsed.negatives)
    return Compiled(loose, strict, phrase, in_name, excluded or None)


def compile_fts5(parsed: ParsedQuery, name_column: str) -> Compiled:
    negatives = [_fts5_term(t) for t in parsed.negatives]
    exclude = f" NOT ({' OR '.join(negatives)})" if negatives else ""
    positives = " OR ".join(_fts5_term(t) for t in parsed.positives)
    loose = f"({positives}){exclude}"

    def clause_text(clause: list[Term]) -> str:
        positive = " AND ".join(_fts5_term(t) for t in clause if not t.negated)
        negative = [_fts5_term(t) for t in clause if t.negated]
        return f"({positive})" + (f" NOT ({' OR '.join(negative)})" if negative else "")

    strict = " OR ".join(f"({clause_text(clause)})" for clause in parsed.clauses)
    words = parsed.words
    phrase = None
    if len(words) > 1 and len(parsed.clauses) == 1:
        prefix = parsed.positives[-1].prefix
        phrase = _fts5_term(Term(tuple(words), prefix=prefix)) + exclude
    excluded = " OR ".join(negatives) or None
    return Compiled(loose, strict, phrase, f"{name_column} : ({positives})", excluded)


def fuzzy_words(parsed: ParsedQuery) -> list[str]:
    return [w for w in dict.fromkeys(parsed.words) if len(w) >= FUZZY_MIN_LENGTH][:3]


# --- trigram similarity for SQLite (pg_trgm's word_similarity, on bounded candidates) -------
def _trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def word_similarity(word: str | None, text: str | None) -> float:
    """Best trigram similarity between ``word`` and any word of ``text`` (0..1)."""
    if not word or not text:
        return 0.0
    target = _trigrams(word.lower())
    best = 0.0
    for other in _WORD.findall(text.lower()):
        grams = _trigrams(other)
        best = max(best, len(target & grams) / len(target | grams))
    return best


@receiver(connection_created)
def _sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "word_similarity", 2, word_similarity, deterministic=True
        )


# --- the index structures --------------------------------------------------------------------
# On SQLite the FTS5 tables keep their own copy of the text (no content table or view to
# match): removing a row needs only its rowid, so a renamed skill or a schema change cannot
# leave the index inconsistent. Triggers keep them in sync; Django rebuilds a SQLite table to
# alter it (dropping that table's triggers, and a trigger elsewhere that names it blocks the
# rename), so ``migrate`` drops the triggers before it runs any migration and re-creates them,
# and rebuilds the indexes, after (see ``before_migrate`` / ``after_migrate``).
# On PostgreSQL a trigger fills a ``search_vector`` column; it names no column in its
# definition (it compares OLD and NEW itself), so altering a column is never blocked.
def _skills_sql(index: SearchIndex, row: str) -> str:
    if index.skills is None:
        raise ValueError(f"{index.table} has no skills source")
    aggregate = (
        "string_agg(s.name, ' ')"
        if connection.vendor == "postgresql"
        else ("group_concat(s.name, ' ')")
    )
    return (
        f"(SELECT {aggregate} FROM {index.skills.through} t JOIN accounts_skill s "
        f"ON s.id = t.skill_id WHERE t.{index.skills.column} = {row})"
    )


def _sqlite_document(index: SearchIndex, where: str) -> tuple[str, str]:
    """INSERT statements (FTS, trigram) adding the rows of ``index.table`` matching ``where``."""
    values = [
        f"coalesce({_skills_sql(index, 'b.id')}, '')" if name == "skills" else f"b.{name}"
        for name in index.column_names
    ]
    columns = ", ".join(index.column_names)
    return (
        f"INSERT INTO {index.fts}(rowid, {columns}) "
        f"SELECT b.id, {', '.join(values)} FROM {index.table} b WHERE {where};",
        f"INSERT INTO {index.trigram}(rowid, trigram_name) "
        f"SELECT b.id, ' ' || b.{index.name_column} || ' ' FROM {index.table} b WHERE {where};",
    )


def _sqlite_remove(index: SearchIndex, where: str) -> str:
    return (
        f"DELETE FROM {index.fts} WHERE rowid IN ({where}); "
        f"DELETE FROM {index.trigram} WHERE rowid IN ({where});"
    )


def _sqlite_triggers(index: SearchIndex) -> list[str]:
    t = index.table

    def refresh(ids: str) -> str:
        return (
            _sqlite_remove(index, ids) + " " + " ".join(_sqlite_document(index, f"b.id IN ({ids})"))
        )

    watched = ", ".join(index.stored_columns)
    sql = [
        f"CREATE TRIGGER IF NOT EXISTS {t}_search_ai AFTER INSERT ON {t} "
        f"BEGIN {' '.join(_sqlite_document(index, 'b.id = new.id'))} END",
        f"CREATE TRIGGER IF NOT EXISTS {t}_search_au AFTER UPDATE OF {watched} ON {t} "
        f"BEGIN {refresh('SELECT new.id')} END",
        f"CREATE TRIGGER IF NOT EXISTS {t}_search_ad AFTER DELETE ON {t} "
        f"BEGIN {_sqlite_remove(index, 'SELECT old.id')} END",
    ]
    if index.skills:
        through, fk = index.skills.through, index.skills.column
        linked = f"SELECT {fk} FROM {through} WHERE skill_id = new.id"
        sql += [
            f"CREATE TRIGGER IF NOT EXISTS {through}_search_ai AFTER INSERT ON {through} "
            f"BEGIN {refresh('SELECT new.' + fk)} END",
            f"CREATE TRIGGER IF NOT EXISTS {through}_search_ad AFTER DELETE ON {through} "
            f"BEGIN {refresh('SELECT old.' + fk)} END",
            f"CREATE TRIGGER IF NOT EXISTS accounts_skill_search_{t} "
            f"AFTER UPDATE OF name ON accounts_skill BEGIN {refresh(linked)} END",
        ]
    return sql


def _sqlite_trigger_names(index: SearchIndex) -> list[str]:
    names = [f"{index.table}_search_{s}" for s in ("ai", "au", "ad")]
    if index.skills:
        names += [f"{index.skills.through}_search_{s}" for s in ("ai", "ad")]
        names.append(f"accounts_skill_search_{index.table}")
    return names


def _sqlite_rebuild(index: SearchIndex) -> list[str]:
    return [
        f"DELETE FROM {index.fts}",
        f"DELETE FROM {index.trigram}",
        *_sqlite_document(index, "1"),
    ]


def _sqlite_create(index: SearchIndex) -> list[str]:
    """The tables only: ``after_migrate`` adds the triggers and fills them once every
    migration of the run is applied (a later migration that rebuilds an indexed table, as
    SQLite's ALTER does, would fail on a trigger that names it)."""
    columns = ", ".join(index.column_names)
    return [
        f"CREATE VIRTUAL TABLE {index.fts} USING fts5({columns}, "
        "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
        f"CREATE VIRTUAL TABLE {index.trigram} USING fts5(trigram_name, tokenize='trigram')",
    ]


def _sqlite_drop(index: SearchIndex) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in _sqlite_trigger_names(index)] + [
        f"DROP TABLE IF EXISTS {index.fts}",
        f"DROP TABLE IF EXISTS {index.trigram}",
    ]


def _pg_vector(index: SearchIndex) -> str:
    parts = []
    for name, weight in index.columns:
        source = _skills_sql(index, "NEW.id") if name == "skills" else f"NEW.{name}"
        parts.append(f"setweight(to_tsvector('english', coalesce({source}, '')), '{weight}')")
    return " || ".join(parts)


def _pg_create(index: SearchIndex) -> list[str]:
    t = index.table
    old = ", ".join(f"OLD.{c}" for c in index.stored_columns)
    new = ", ".join(f"NEW.{c}" for c in index.stored_columns)
    sql = [
        # pg_trgm is a trusted extension (PostgreSQL 13+): a user with CREATE on the database
        # can create it; otherwise a superuser must run this statement once.
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"ALTER TABLE {t} ADD COLUMN search_vector tsvector",
        # An update that changes no indexed column keeps the vector (a NULL vector -- set by
        # the skills trigger or a rebuild -- is always recomputed).
        f"CREATE FUNCTION {t}_search_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' AND NEW.search_vector IS NOT NULL "
        f"AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN RETURN NEW; END IF; "
        f"NEW.search_vector := {_pg_vector(index)}; RETURN NEW; END $$",
        f"CREATE TRIGGER {t}_search BEFORE INSERT OR UPDATE ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION {t}_search_update()",
        f"UPDATE {t} SET search_vector = NULL",
        f"CREATE INDEX {t}_search_gin ON {t} USING gin (search_vector)",
        # Finer statistics of the words: the planner's choice between a scan that stops early
        # (a common word) and the GIN index (a rare one) depends on them.
        f"ALTER TABLE {t} ALTER COLUMN search_vector SET STATISTICS 1000",
        f"CREATE INDEX {t}_trgm_gin ON {t} USING gin ({index.name_column} gin_trgm_ops)",
        # Name matches are found through their own small index: a weight-restricted query
        # ('word':A) on the full vector would recheck every row holding the word anywhere.
        f"CREATE INDEX {t}_name_gin ON {t} "
        f"USING gin (to_tsvector('english', coalesce({index.name_column}, '')))",
    ]
    if index.skills:
        through, fk = index.skills.through, index.skills.column
        sql += [
            f"CREATE FUNCTION {through}_search_touch() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE {t} SET search_vector = NULL "
            f"WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.{fk} ELSE NEW.{fk} END); "
            "RETURN NULL; END $$",
            f"CREATE TRIGGER {through}_search AFTER INSERT OR DELETE ON {through} "
            f"FOR EACH ROW EXECUTE FUNCTION {through}_search_touch()",
            # A renamed skill re-indexes the rows that have it.
            f"CREATE FUNCTION accounts_skill_search_{t}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.name IS DISTINCT FROM OLD.name THEN UPDATE {t} SET search_vector = "
            f"NULL WHERE id IN (SELECT {fk} FROM {through} WHERE skill_id = NEW.id); END IF; "
            "RETURN NULL; END $$",
            f"CREATE TRIGGER accounts_skill_search_{t} AFTER UPDATE ON accounts_skill "
            f"FOR EACH ROW EXECUTE FUNCTION accounts_skill_search_{t}()",
        ]
    return sql


def _pg_drop(index: SearchIndex) -> list[str]:
    t = index.table
    sql = [
        f"DROP TRIGGER IF EXISTS {t}_search ON {t}",
        f"DROP FUNCTION IF EXISTS {t}_search_update()",
        f"DROP INDEX IF EXISTS {t}_trgm_gin",
        f"DROP INDEX IF EXISTS {t}_name_gin",
        f"ALTER TABLE {t} DROP COLUMN IF EXISTS search_vector",
    ]
    if index.skills:
        through = index.skills.through
        sql += [
            f"DROP TRIGGER IF EXISTS {through}_search ON {through}",
            f"DROP FUNCTION IF EXISTS {through}_search_touch()",
            f"DROP TRIGGER IF EXISTS accounts_skill_search_{t} ON accounts_skill",
            f"DROP FUNCTION IF EXISTS accounts_skill_search_{t}()",
        ]
    return sql


def index_sql(index: SearchIndex, vendor: str, *, create: bool = True) -> list[str]:
    if vendor == "postgresql":
        return _pg_create(index) if create else _pg_drop(index)
    if vendor == "sqlite" and sqlite_fts5_available():
        return _sqlite_create(index) if create else _sqlite_drop(index)
    return []


class SearchIndexOperation(migrations.operations.base.Operation):
    """Builds (or drops, when unapplied) a ``SearchIndex`` for the database in use; with
    ``drop=True`` the other way round. An index changes by dropping its old definition and
    building the new one (two operations), which refills it from the rows."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, index: SearchIndex, *, drop: bool = False) -> None:
        self.index = index
        self.drop = drop

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.index], {"drop": True} if self.drop else {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, schema_editor: Any, create: bool) -> None:
        for statement in index_sql(self.index, schema_editor.connection.vendor, create=create):
            schema_editor.execute(statement, params=None)

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(schema_editor, create=not self.drop)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        self._run(schema_editor, create=self.drop)
        if self.drop and schema_editor.connection.vendor == "sqlite" and sqlite_fts5_available():
            # Migrating back restores an older definition than the code's: ``after_migrate``
            # (which builds the code's) leaves it alone, so it gets its triggers and rows here,
            # and the code of that migration finds it working.
            for statement in [*_sqlite_triggers(self.index), *_sqlite_rebuild(self.index)]:
                schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"{'Drop' if self.drop else 'Build'} the search index on {self.index.table}"


_registry: dict[str, SearchIndex] = {}


def register(index: SearchIndex) -> SearchIndex:
    """Declare an index the app's migrations build, so ``migrate`` can keep its triggers."""
    _registry[index.table] = index
    return index


def _fts_exists(cursor: Any, index: SearchIndex) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [index.fts])
    return cursor.fetchone() is not None


def before_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """SQLite: drop the search triggers before migrations run (they would block or be lost
    with a table rebuild); ``after_migrate`` puts them back."""
    db = connections[using]
    if not plan or db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        for index in _registry.values():
            for name in _sqlite_trigger_names(index):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def after_migrate(sender: Any, using: str = "default", plan: Any = None, **kwargs: Any) -> None:
    """SQLite: re-create the search triggers and rebuild the indexes from the rows (the
    migrations may have rewritten them without the triggers)."""
    db = connections[using]
    if not plan or db.vendor != "sqlite" or not sqlite_fts5_available():
        return
    with db.cursor() as cursor:
        for index in _registry.values():
            if not _fts_exists(cursor, index):
                continue  # its migration is not applied (or was unapplied)
            cursor.execute(f"SELECT name FROM pragma_table_info('{index.fts}')")
            built = [row[0] for row in cursor.fetchall()]
            if built != index.column_names:
                # Migrated back to an older definition than the code's: searching it waits
                # until the migrations are applied again (the rows stay; the index refills).
                logger.warning(
                    "search index left without triggers: the code defines other columns",
                    extra={"table": index.table, "built": built, "code": index.column_names},
                )
                continue
            for statement in [*_sqlite_triggers(index), *_sqlite_rebuild(index)]:
                cursor.execute(statement)


def rebuild(index: SearchIndex) -> None:
    """Re-derive the index from the rows (``manage.py search_rebuild``)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"UPDATE {index.table} SET search_vector = NULL")
        elif sqlite_fts5_available():
            for statement in _sqlite_rebuild(index):
                cursor.execute(statement)


# --- searching ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    id: int
    score: float


def _within(queryset: QuerySet[Any], column: str) -> tuple[str, tuple[Any, ...]]:
    """``AND <column> IN (<the queryset's ids>)``, or nothing when it filters nothing (an
    unfiltered 100k-row IN list would cost more than the search)."""
    if not queryset.query.where:
        return "", ()
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", tuple(params)


def _filters_key(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    return _within(queryset, "id")


@contextmanager
def _savepoint() -> Iterator[None]:
    """On PostgreSQL a failed statement aborts the transaction it is in: run in a savepoint.
    Not on SQLite, where the outermost atomic() would BEGIN IMMEDIATE and take the write lock
    for a read (and a failed statement harms nothing)."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield
    else:
        yield


def _tiers(strict: str, loose: str) -> dict[str, int]:
    """Candidate queries and how many of the newest matches each contributes (one word: the
    two queries are the same, and every match matches every word)."""
    return {strict: TIER} if strict == loose else {strict: TIER, loose: TIER_ANY}


def _ranking(exclude: str) -> str:
    """The ranking rule, the same on both backends, over a ``scored`` table of (id, strict,
    phrase, relevance, similarity): every word matched first, then the exact phrase, then
    relevance plus close-enough name similarity; ``exclude`` drops ``-word`` matches."""
    return f"""SELECT id, strict, phrase,
               relevance + {FUZZY_WEIGHT} * (CASE WHEN similarity >= {FUZZY_THRESHOLD}
                                             THEN similarity ELSE 0 END) AS score
        FROM scored
        WHERE (relevance > 0 OR similarity >= {FUZZY_THRESHOLD}){exclude}
        ORDER BY strict DESC, phrase DESC, score DESC, id
        LIMIT {CANDIDATES}"""


def _pg_hits(index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
    compiled = compile_tsquery(parsed)
    within, within_params = _within(queryset, "b.id")
    fuzzy = fuzzy_words(parsed)
    weights = "{" + ",".join(str(WEIGHTS[w]) for w in "DCBA") + "}"
    name = f"b.{index.name_column}"
    similarity = (
        "GREATEST(" + ", ".join(f"word_similarity(%s, {name})" for _ in fuzzy) + ")"
        if fuzzy
        else "0"
    )
    fuzzy_match = " OR ".join(f"%s <%% {name}" for _ in fuzzy) or "false"

    name_vector = f"to_tsvector('english', coalesce({name}, ''))"
    tiers = _tiers(compiled.strict, compiled.loose)
    vector_match = "b.search_vector @@ to_tsquery('english', %s)"
    exclude = (
        f" AND id NOT IN (SELECT id FROM {index.table} "
        "WHERE search_vector @@ to_tsquery('english', %s))"
        if compiled.excluded
        else ""
    )

    def tier(condition: str, limit: int = TIER) -> str:
        # The tsquery is written out (not taken from a CTE) so the planner can estimate how
        # common the words are: a scan that stops after `limit` rows for a common word, the
        # GIN index for a rare one.
        return f"(SELECT b.id FROM {index.table} b WHERE {condition}{within} LIMIT {limit})"

    sql = f"""
        WITH q AS MATERIALIZED (
            SELECT to_tsquery('english', %s) AS loose, to_tsquery('english', %s) AS strict,
                   to_tsquery('english', %s) AS phrase
        ),
        fuzzy AS MATERIALIZED (
            -- At most FUZZY_SCAN names like the words are read (a word that is itself in
            -- thousands of names is found exactly anyway), the closest kept.
            SELECT id, similarity FROM (
                SELECT b.id, {similarity} AS similarity FROM {index.table} b
                WHERE ({fuzzy_match}){within} LIMIT {FUZZY_SCAN}
            ) f
            ORDER BY similarity DESC, id LIMIT {FUZZY_CANDIDATES * max(len(fuzzy), 1)}
        ),
        candidates AS (
            {tier(f"{name_vector} @@ to_tsquery('english', %s)")}
            UNION {" UNION ".join(tier(vector_match, limit) for limit in tiers.values())}
            UNION (SELECT id FROM fuzzy)
        ),
        scored AS (
            SELECT b.id,
                   coalesce(b.search_vector @@ q.strict, false) AS strict,
                   coalesce(b.search_vector @@ q.phrase, false) AS phrase,
                   CASE WHEN b.search_vector @@ q.loose
                        THEN ts_rank_cd('{weights}', b.search_vector, q.loose, 32) ELSE 0 END
                     AS relevance,
                   coalesce(fuzzy.similarity, 0) AS similarity
            FROM {index.table} b CROSS JOIN q LEFT JOIN fuzzy ON fuzzy.id = b.id
            WHERE b.id IN (SELECT id FROM candidates)
        )
        {_ranking(exclude)}
    """
    params: list[Any] = [compiled.loose, compiled.strict, compiled.phrase or ""]
    params += [*fuzzy, *fuzzy, *within_params]
    for tier_query in (compiled.in_name, *tiers):
        params += [tier_query, *within_params]
    if compiled.excluded:
        params.append(compiled.excluded)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(FUZZY_THRESHOLD)],
        )
        cursor.execute(sql, params)
        return [Hit(row[0], float(row[3])) for row in cursor.fetchall()]


def _sqlite_hits(index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
    compiled = compile_fts5(parsed, index.name_column)
    # "+rowid": a plain filter on the rows FTS5 yields. A bare "rowid IN (...)" is handed to
    # FTS5, which then re-runs the whole MATCH once per listed id (measured: 1 s vs 3 ms).
    within, within_params = _within(queryset, "+rowid")
    fuzzy = fuzzy_words(parsed)
    weights = ", ".join(str(WEIGHTS[weight]) for _, weight in index.columns)
    trigram_query = " OR ".join(
        '"' + gram + '"'
        for word in fuzzy
        for gram in sorted(_trigrams(word))
        if not gram.startswith("  ")  # the indexed names are padded with one space only
    )
    similarity = (
        "max(" + ", ".join(f"word_similarity(%s, v.{index.name_column})" for _ in fuzzy) + ", 0)"
        if fuzzy
        else "0"
    )
    fts = index.fts
    tiers = {compiled.in_name: TIER, **_tiers(compiled.strict, compiled.loose)}

    def tier(limit: int) -> str:
        return (
            f"SELECT id FROM (SELECT rowid AS id FROM {fts} WHERE {fts} MATCH %s{within} "
            f"LIMIT {limit})"
        )

    # Which candidates match every word / the phrase: one pass over each doclist, filtered
    # to the candidates (not a list of every row a common word is in).
    pool = "(SELECT id FROM ranked UNION ALL SELECT id FROM fuzzy)"
    phrase = (
        f"c.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s AND +rowid IN {pool})"
        if compiled.phrase
        else "0"
    )
    exclude = (
        f" AND id NOT IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)"
        if compiled.excluded
        else ""
    )
    if compiled.strict == compiled.loose:  # one word: every full-text match has them all
        strict = "c.bm IS NOT NULL"
    else:
        strict = f"c.id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s AND +rowid IN {pool})"
    # Trigram similarity (a Python function on SQLite) is computed for the few rows the
    # trigram index proposes, never for every full-text candidate.
    sql = f"""
        WITH candidates AS MATERIALIZED ({" UNION ".join(tier(n) for n in tiers.values())}),
        ranked AS MATERIALIZED (
            SELECT rowid AS id, bm25({fts}, {weights}) AS bm FROM {fts}
            WHERE {fts} MATCH %s AND +rowid IN (SELECT id FROM candidates)
        ),
        fuzzy AS MATERIALIZED (
            SELECT f.id, {similarity} AS similarity
            FROM (SELECT rowid AS id FROM {index.trigram}
                  WHERE {index.trigram} MATCH %s{within}
                  ORDER BY bm25({index.trigram}), rowid
                  LIMIT {FUZZY_CANDIDATES * max(len(fuzzy), 1)}) f
            JOIN {index.table} v ON v.id = f.id
        ),
        scored AS (
            SELECT c.id,
                   {strict} AS strict,
                   {phrase} AS phrase,
                   coalesce(-c.bm / (1 - c.bm), 0) AS relevance,
                   coalesce(c.similarity, 0) AS similarity
            FROM (
                SELECT id, min(bm) AS bm, max(similarity) AS similarity FROM (
                    SELECT id, bm, NULL AS similarity FROM ranked
                    UNION ALL SELECT id, NULL, similarity FROM fuzzy
                ) GROUP BY id
            ) c
        )
        {_ranking(exclude)}
    """
    params: list[Any] = []
    for tier_query in tiers:
        params += [tier_query, *within_params]
    params += [compiled.loose, *fuzzy, trigram_query or '""', *within_params]
    if compiled.strict != compiled.loose:
        params.append(compiled.strict)
    if compiled.phrase:
        params.append(compiled.phrase)
    if compiled.excluded:
        params.append(compiled.excluded)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(row[0], float(row[3])) for row in cursor.fetchall()]


def _plain_hits(index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
    """No full-text index (or it failed): rows containing any word, name matches first."""
    condition = Q()
    for word in parsed.words:
        for name in index.stored_columns:
            condition |= Q(**{f"{name}__icontains": word})
    name_match = Q()
    for word in parsed.words:
        name_match |= Q(**{f"{index.name_column}__icontains": word})
    rows = queryset.filter(condition).order_by().values_list("pk", flat=True)
    ids = list(rows[:CANDIDATES])
    first = set(queryset.filter(pk__in=ids).filter(name_match).values_list("pk", flat=True))
    return [
        Hit(pk, 1.0 if pk in first else 0.5)
        for pk in sorted(ids, key=lambda p: (p not in first, p))
    ]


def _version() -> int:
    """Starts from the clock, so a version key lost with the cache (emptied after an outage)
    never comes back lower than before and revives an entry cached under an old number."""
    return int(django_cache.get_or_set(CACHE_VERSION_KEY, time.time_ns(), timeout=None) or 1)


def _bump() -> None:
    try:
        django_cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        django_cache.set(CACHE_VERSION_KEY, time.time_ns(), timeout=None)


def invalidate() -> None:
    """Any write to a searched table: every cached result is stale (a new version). Bumped at
    once and again after commit, so a search run in between cannot leave a stale entry."""
    _bump()
    transaction.on_commit(_bump)


def invalidate_on_write(model: type[Model], *, ignore_fields: frozenset[str] = frozenset()) -> None:
    """Connect ``model``'s saves, deletes and M2M changes to ``invalidate``; a save touching
    only ``ignore_fields`` (e.g. ``last_login``) changes nothing searchable."""

    def on_save(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
        if update_fields and set(update_fields) <= ignore_fields:
            return
        invalidate()

    def on_change(sender: Any, **kwargs: Any) -> None:
        invalidate()

    uid = f"search-invalidate-{model._meta.label}"
    signals.post_save.connect(on_save, sender=model, weak=False, dispatch_uid=uid)
    signals.post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=uid)
    for m2m in model._meta.many_to_many:
        through = m2m.remote_field.through  # type: ignore[attr-defined]
        signals.m2m_changed.connect(on_change, sender=through, weak=False, dispatch_uid=uid)


def hits(index: SearchIndex, queryset: QuerySet[Any], query: str) -> list[Hit]:
    """The ranked matches of ``query`` among ``queryset`` (at most ``CANDIDATES``), cached
    per normalised query and filters until the next write to a searched table (or a follow,
    which ``?followed_by=`` depends on)."""
    parsed = parse(query)
    if not parsed:
        return []
    try:
        within, within_params = _filters_key(queryset)
    except EmptyResultSet:  # e.g. Model.objects.none(): nothing to search in
        return []
    key_source = repr((index.table, parsed.normalised(), within, within_params, _version()))
    key = "search:" + hashlib.sha256(key_source.encode()).hexdigest()
    found = django_cache.get(key)
    if found is not None:
        return found
    found, exact = _search(index, queryset, parsed)
    if exact:  # a fallback after a failure is not kept: the next search tries again
        django_cache.set(key, found, CACHE_SECONDS)
    return found


def _search(
    index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery
) -> tuple[list[Hit], bool]:
    """The hits, and whether they came from the full-text index as designed."""
    info = backend_info()
    if not info["fts_available"]:
        return _plain_hits(index, queryset, parsed), True
    run = _pg_hits if info["backend"] == "postgresql" else _sqlite_hits
    try:
        with _savepoint():
            return run(index, queryset, parsed), True
    except DatabaseError:
        if connection.connection is None or not connection.is_usable():
            raise  # the database itself is unreachable: a plain match would fail the same way
        logger.warning(
            "full-text search failed; falling back to a plain match",
            extra={"table": index.table, "query": parsed.normalised()},
            exc_info=True,
        )
        return _plain_hits(index, queryset, parsed), False


# --- snippets -------------------------------------------------------------------------------
def snippets(index: SearchIndex, ids: Sequence[int], query: str) -> dict[int, str]:
    """A short excerpt of each row around the match, HTML-escaped, matches in ``<mark>``."""
    parsed = parse(query)
    if not ids or not parsed or not backend_info()["fts_available"]:
        return {}
    marks = [MARK_START, MARK_END]
    try:
        with _savepoint(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                options = (
                    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8, "
                    "MaxFragments=1, FragmentDelimiter=…"
                )
                # The first column (by weight) that matches, as SQLite's snippet() picks one.
                cases = " ".join(
                    f"WHEN to_tsvector('english', coalesce({name}, '')) @@ q.query "
                    f"THEN ts_headline('english', {name}, q.query, q.options)"
                    for name in index.stored_columns
                )
                cursor.execute(
                    f"SELECT b.id, CASE {cases} END FROM {index.table} b, "
                    "(SELECT to_tsquery('english', %s) AS query, %s AS options) q "
                    f"WHERE b.id IN ({', '.join(['%s'] * len(ids))})",
                    [compile_tsquery(parsed).loose, options, *ids],
                )
            else:
                fts = index.fts
                # One pass over the matches, filtered to the page ("+rowid", see _sqlite_hits).
                cursor.execute(
                    f"SELECT rowid, snippet({fts}, -1, %s, %s, '…', 16) FROM {fts} "
                    f"WHERE {fts} MATCH %s AND +rowid IN ({', '.join(['%s'] * len(ids))})",
                    [*marks, compile_fts5(parsed, index.name_column).loose, *ids],
                )
            rows = cursor.fetchall()
    except DatabaseError:
        logger.warning("search snippets failed", extra={"table": index.table}, exc_info=True)
        return {}
    return {row_id: _mark(text) for row_id, text in rows if text and MARK_START in text}


def _mark(text: str) -> str:
    import html

    return html.escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


# --- results: a ranked list the paginator slices ----------------------------------------------
class SearchResults(Sequence[Model]):
    """The matches in relevance order. Only the rows of the page asked for are loaded (with
    their snippets); ``len`` is the number of matches (at most ``CANDIDATES``)."""

    def __init__(
        self, index: SearchIndex, queryset: QuerySet[Any], query: str, found: list[Hit]
    ) -> None:
        self.search_index, self.queryset, self.query = index, queryset, query
        self.found = found

    def __len__(self) -> int:
        return len(self.found)

    def count(self, value: Any = None) -> int:  # Django's paginator calls count()
        return len(self.found)

    def __iter__(self) -> Iterator[Model]:
        return iter(self[0 : len(self)])

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, int):
            return self[item : item + 1][0]
        page = self.found[item]
        rows = {row.pk: row for row in self.queryset.filter(pk__in=[hit.id for hit in page])}
        texts = snippets(self.search_index, list(rows), self.query)
        ordered = []
        for hit in page:
            row = rows.get(hit.id)
            if row is not None:  # deleted since the ranking was cached
                row.search_score = round(hit.score, 4)
                row.search_snippet = texts.get(hit.id)
                ordered.append(row)
        return ordered


def search(index: SearchIndex, queryset: QuerySet[Any], query: str) -> SearchResults:
    return SearchResults(index, queryset, query, hits(index, queryset, query))


def filter_matches(index: SearchIndex, queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """The matches as a queryset, for a caller that orders them itself (``?ordering=``). A
    query with no word to look for (``-foo``, punctuation) matches nothing, as ranked."""
    return queryset.filter(pk__in=[hit.id for hit in hits(index, queryset, query)])
