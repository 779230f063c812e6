"""What every backend provides (``Backend``), and what they share: the bounds of the work a
search does, the ranking rule (``ranking``, written once for both full-text backends) and the
filter of the rows searched within (``within``)."""

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

from search.indexes import SearchIndex
from search.parser import ParsedQuery

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
FUZZY_THRESHOLD = 0.45  # trigram word similarity a fuzzy match needs
FUZZY_WEIGHT = 0.6  # the fuzzy score's share of the blended relevance
WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}  # PostgreSQL's ts_rank defaults
MARK_START, MARK_END = "\ue000", "\ue001"  # snippet markers, turned into <mark> after escaping


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


@dataclass(frozen=True)
class Compiled:
    """One parse compiled to a backend's query text."""

    loose: str  # any positive term, no negative one: the candidates
    strict: str  # every term of a clause (websearch semantics)
    phrase: str | None  # all the words, in order, as one phrase
    in_name: str  # any positive term, in the name column (PostgreSQL: its own index)
    excluded: str | None  # any -excluded term: such rows are never results, fuzzy or not


def within(queryset: QuerySet[Any], column: str) -> tuple[str, tuple[Any, ...]]:
    """``AND <column> IN (<the queryset's ids>)``, or nothing when it filters nothing (an
    unfiltered 100k-row IN list would cost more than the search)."""
    if not queryset.query.where:
        return "", ()
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", tuple(params)


def tiers(strict: str, loose: str) -> dict[str, int]:
    """Candidate queries and how many of the newest matches each contributes (one word: the
    two queries are the same, and every match matches every word)."""
    return {strict: TIER} if strict == loose else {strict: TIER, loose: TIER_ANY}


def ranking(exclude: str) -> str:
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


class Backend:
    """How one database builds, keeps and queries the indexes. The defaults build nothing
    and keep nothing (the plain backend); ``backend_for`` picks one per ``connection.vendor``."""

    name: str
    fts_available = True
    algorithms: tuple[str, ...] = ()
    skills_aggregate = ""  # SQL joining the skill names ``s.name`` with spaces
    stemmer: str | None = None  # the snowball stemmer that stems as the index does, if any

    def info(self) -> dict[str, Any]:
        """``{"backend": ..., "fts_available": ..., "algorithms": [...]}`` (the API's shape)."""
        return {
            "backend": self.name,
            "fts_available": self.fts_available,
            "algorithms": list(self.algorithms),
        }

    # --- the index structures (migrations, migrate, search_rebuild) -----------------------
    def create_sql(self, index: SearchIndex) -> list[str]:
        return []

    def drop_sql(self, index: SearchIndex) -> list[str]:
        return []

    def restore_sql(self, index: SearchIndex) -> list[str]:
        """What makes an index re-created by migrating back (an older definition than the
        code's) work at once."""
        return []

    def rebuild_sql(self, index: SearchIndex) -> list[str]:
        """Re-derive the index from the rows."""
        return []

    def skills_triggers_sql(self, index: SearchIndex) -> list[str]:
        """(Re)make what keeps the index up to date when rows gain or lose skills, as the
        code defines it (``SkillsTriggersOperation``)."""
        return []

    def before_migrate(self, db: BaseDatabaseWrapper, indexes: Sequence[SearchIndex]) -> None:
        """Before ``migrate`` runs any migration."""

    def after_migrate(self, db: BaseDatabaseWrapper, indexes: Sequence[SearchIndex]) -> None:
        """After ``migrate`` applied every migration of the run."""

    def skills_sql(self, index: SearchIndex, row: str) -> str:
        """The skill names of the row whose id is ``row``, as one text (SQL)."""
        if index.skills is None:
            raise ValueError(f"{index.table} has no skills source")
        return (
            f"(SELECT {self.skills_aggregate} FROM {index.skills.through} t JOIN accounts_skill s "
            f"ON s.id = t.skill_id WHERE t.{index.skills.column} = {row})"
        )

    def vocabulary(self, index: SearchIndex, sample: int) -> list[tuple[str, int]]:
        """The index's words (stems) and how many rows hold each (``search.vocabulary``)."""
        return []

    # --- searching -----------------------------------------------------------------------
    def savepoint(self) -> AbstractContextManager[Any]:
        """What a query that may fail runs in (PostgreSQL: a savepoint)."""
        return nullcontext()

    def hits(self, index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
        """The ranked matches among ``queryset`` (at most ``CANDIDATES``)."""
        raise NotImplementedError

    def snippets(
        self, index: SearchIndex, ids: Sequence[int], parsed: ParsedQuery
    ) -> list[tuple[int, str | None]]:
        """Each row's excerpt around the match, the matches between ``MARK_START`` and
        ``MARK_END`` (not escaped)."""
        return []
