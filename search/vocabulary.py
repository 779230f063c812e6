"""Typo tolerance for every word, not only names: a word no indexed row holds ("paymnets") is
replaced by the nearest word the index does hold ("payment", which finds "payments").

The vocabulary is the index's own -- its stems, as the backend's stemmer made them (porter on
SQLite's FTS5, snowball ``english`` on PostgreSQL; ``snowballstemmer`` stems the query's words
the same way here) -- read from the index (FTS5's ``fts5vocab``; PostgreSQL's ``ts_stat`` over
the newest ``SAMPLE_ROWS`` rows: the common words are there, under a 1 s statement deadline),
only the stems that stem to themselves (a stem the index would stem again, "agre" -> "agr",
would widen the match) and that at least ``MIN_DOCS`` rows hold. It is read in the background,
never by a request -- the first misspelt query of a process finds what it finds uncorrected --
kept in each process and read again every ``REFRESH_SECONDS`` (a failed read is tried again
after as long): a new word is matched exactly at once and forgiven its typos within minutes.
Nearest is the Damerau-Levenshtein (OSA) distance from the word's stem, or from its beginning
as long as the stem (a word typed wrong before its suffix): at most 1 for stems of five letters
or fewer, 2 above; ties go to the word more rows hold. A corrected word is matched as a prefix
of the stem ("payment*"), as the index stems both. Only words of ``FUZZY_MIN_LENGTH`` letters
or more and not stop words ("these", "about": the index leaves them out, so they always look
unknown), three at most per query.
"""

import bisect
import logging
import threading
import time
from dataclasses import dataclass, replace

from django.db import DatabaseError, connection
from rapidfuzz import process
from rapidfuzz.distance import OSA
from snowballstemmer import stemmer

from search.backends import backend_for
from search.indexes import SearchIndex
from search.parser import FUZZY_MIN_LENGTH, ParsedQuery, Term

logger = logging.getLogger("collabhub.search")

REFRESH_SECONDS = 300.0
SAMPLE_ROWS = 20_000  # PostgreSQL: the newest rows whose words make the vocabulary
MIN_DOCS = 2  # a correction goes to a word more than one row holds
# English stop words of five letters or more (PostgreSQL's english configuration leaves them
# out of the index): never corrected into something else.
STOP_WORDS = frozenset(
    {
        "about",
        "above",
        "after",
        "again",
        "against",
        "because",
        "before",
        "being",
        "below",
        "between",
        "doing",
        "during",
        "further",
        "having",
        "other",
        "ourselves",
        "should",
        "their",
        "theirs",
        "themselves",
        "there",
        "these",
        "those",
        "through",
        "under",
        "until",
        "where",
        "which",
        "while",
        "would",
        "yours",
        "yourself",
        "yourselves",
        "itself",
        "herself",
        "himself",
        "myself",
    }
)
MAX_CORRECTIONS = 3
CANDIDATES = 30  # nearest stems (by the stem's own distance) looked at closely


@dataclass(frozen=True)
class Vocabulary:
    docs: dict[str, int]  # stem -> rows holding it
    ordered: list[str]  # the stems, sorted (prefix look-ups)
    stemmer_name: str
    loaded_at: float

    def holds(self, stem: str, *, prefix: bool) -> bool:
        if not prefix:
            return stem in self.docs
        at = bisect.bisect_left(self.ordered, stem)
        return at < len(self.ordered) and self.ordered[at].startswith(stem)


_vocabularies: dict[str, Vocabulary] = {}
_refreshing: set[str] = set()
_lock = threading.Lock()
_local = threading.local()  # a snowball stemmer keeps state while it stems: one per thread


def _stem(word: str, name: str) -> str:
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if name not in stemmers:
        stemmers[name] = stemmer(name)
    return str(stemmers[name].stemWord(word))


def vocabulary_load(index: SearchIndex) -> Vocabulary | None:
    """Read the index's vocabulary now (the background refresh; tests). A failure leaves an
    empty one, tried again after ``REFRESH_SECONDS``."""
    backend = backend_for(connection.vendor)
    if backend.stemmer is None:
        return None
    try:
        with backend.savepoint():
            rows = backend.vocabulary(index, SAMPLE_ROWS)
    except DatabaseError:
        logger.warning("search vocabulary not read", extra={"index": index.table}, exc_info=True)
        rows = []
    name = backend.stemmer
    docs = {
        str(word): int(count)
        for word, count in rows
        if str(word).isalpha() and int(count) >= MIN_DOCS and _stem(str(word), name) == word
    }
    vocabulary = Vocabulary(docs, sorted(docs), name, time.monotonic())
    _vocabularies[index.table] = vocabulary
    return vocabulary


def _refresh_in_background(index: SearchIndex) -> None:
    def run() -> None:
        try:
            vocabulary_load(index)
        except Exception:  # never a dying thread: an empty vocabulary, tried again later
            logger.warning(
                "search vocabulary not read", extra={"index": index.table}, exc_info=True
            )
            _vocabularies[index.table] = Vocabulary({}, [], "", time.monotonic())
        finally:
            connection.close()  # this thread's own connection
            with _lock:
                _refreshing.discard(index.table)

    with _lock:
        if index.table in _refreshing:
            return
        _refreshing.add(index.table)
    threading.Thread(target=run, name="search-vocabulary", daemon=True).start()


def vocabulary_get(index: SearchIndex) -> Vocabulary | None:
    """The index's vocabulary as last read; read (again) in the background when it is missing
    or older than ``REFRESH_SECONDS`` -- never by the request asking."""
    vocabulary = _vocabularies.get(index.table)
    if vocabulary is None or time.monotonic() - vocabulary.loaded_at > REFRESH_SECONDS:
        _refresh_in_background(index)
    return vocabulary


def vocabulary_forget() -> None:
    """Read every vocabulary again on next use (tests; after ``search_rebuild``)."""
    _vocabularies.clear()


def _distance(word: str, stem: str, candidate: str) -> int:
    near = OSA.distance(stem, candidate)
    if len(candidate) >= len(word) - 3:  # "secruity" -> "secur": its beginning, mistyped
        near = min(near, OSA.distance(word[: len(candidate)], candidate))
    return int(near)


def nearest(vocabulary: Vocabulary, word: str) -> str | None:
    stem = _stem(word, vocabulary.stemmer_name)
    allowed = 1 if len(stem) <= 5 else 2
    found = process.extract(
        stem, vocabulary.ordered, scorer=OSA.distance, score_cutoff=allowed + 2, limit=CANDIDATES
    )
    scored = [
        (_distance(word, stem, candidate), -vocabulary.docs[candidate], candidate)
        for candidate, _, _ in found
    ]
    best = min((s for s in scored if s[0] <= allowed), default=None)
    return best[2] if best is not None else None


def corrected(index: SearchIndex, parsed: ParsedQuery) -> tuple[ParsedQuery, dict[str, str]]:
    """The query with its unknown words replaced by the nearest known ones, and what was
    replaced by what (``{}``: nothing; the vocabulary unreadable counts as nothing)."""
    candidates = [
        t
        for t in parsed.positives
        if len(t.words) == 1
        and len(t.words[0]) >= FUZZY_MIN_LENGTH
        and t.words[0].isalpha()
        and t.words[0] not in STOP_WORDS
    ]
    if not candidates:
        return parsed, {}
    vocabulary = vocabulary_get(index)
    if vocabulary is None or not vocabulary.docs:
        return parsed, {}
    corrections: dict[str, str] = {}
    for term in candidates[:MAX_CORRECTIONS]:
        word = term.words[0]
        if vocabulary.holds(_stem(word, vocabulary.stemmer_name), prefix=term.prefix):
            continue
        better = nearest(vocabulary, word)
        if better is not None:
            corrections[word] = better
    if not corrections:
        return parsed, {}

    def fixed(term: Term) -> Term:
        word = term.words[0] if len(term.words) == 1 else None
        if term.negated or word not in corrections:
            return term
        return replace(term, words=(corrections[word],), prefix=True)

    clauses = [[fixed(term) for term in clause] for clause in parsed.clauses]
    return ParsedQuery(clauses), corrections
