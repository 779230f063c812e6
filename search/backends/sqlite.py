"""SQLite with FTS5: an FTS5 table of the weighted columns (porter stemming, like
PostgreSQL's ``english`` configuration; prefix indexes for 2 to 8 characters) and an FTS5
``trigram`` table of the padded name, both kept by triggers; ranked by ``bm25`` with
PostgreSQL's weights and pg_trgm's ``word_similarity`` (``search.parser``, in Python, for
the few names the trigram index proposes), excerpts by FTS5 ``snippet()``.

The FTS5 tables keep their own copy of the text (no content table or view to match): removing
a row needs only its rowid, so a renamed skill or a schema change cannot leave the index
inconsistent. Django rebuilds a SQLite table to alter it (dropping that table's triggers, and
a trigger elsewhere that names it blocks the rename), so ``migrate`` drops the triggers before
it runs any migration and re-creates them, and rebuilds the indexes, after
(``before_migrate`` / ``after_migrate``)."""

import json
import logging
import math
import sqlite3
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

from search.backends.base import (
    FUZZY_CANDIDATES,
    FUZZY_THRESHOLD,
    MARK_END,
    MARK_START,
    TIER,
    WEIGHTS,
    Backend,
    Compiled,
    Hit,
    ranking,
    tiers,
    within,
)
from search.indexes import SearchIndex
from search.parser import ParsedQuery, Term, fuzzy_words, trigrams, word_similarity

logger = logging.getLogger("collabhub.search")


@cache
def sqlite_fts5_available() -> bool:
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(a, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


# Prefix lengths the FTS5 index keeps. A prefix query ("pay"*: the last word, as typed) of one
# of these lengths reads one entry of the index; a longer one merges every term starting with
# it, on each pass (100k rows: 3.5 ms a pass instead of 2 for a common word, and 1.8 ms per
# row when rows are looked up by rowid). Stems longer than 8 are rare.
PREFIX_LENGTHS = (2, 3, 4, 5, 6, 7, 8)
PREFIXES = " ".join(map(str, PREFIX_LENGTHS))


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


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
    if len(parsed.clauses) == 1 and len(parsed.positives) == 1:
        strict = loose  # one term: the same query, so the ranking skips a pass (``tiers``)
    words = parsed.words
    phrase = None
    if len(words) > 1 and len(parsed.clauses) == 1:
        prefix = parsed.positives[-1].prefix
        phrase = _fts5_term(Term(tuple(words), prefix=prefix)) + exclude
    excluded = " OR ".join(negatives) or None
    return Compiled(loose, strict, phrase, f"{name_column} : ({positives})", excluded)


class SQLiteBackend(Backend):
    name = "sqlite"
    algorithms = (
        "FTS5 external-content index (porter stemming) kept by triggers",
        "FTS5 queries: words, quoted phrases, OR, NOT, prefix of the last word",
        "bm25 ranking with the PostgreSQL column weights",
        "FTS5 trigram index on names for typo tolerance",
        "FTS5 snippet()",
        "typo correction of any word against the index's vocabulary (fts5vocab), when nothing "
        "matches",
    )
    skills_aggregate = "group_concat(s.name, ' ')"
    stemmer = "porter"  # FTS5's porter tokenizer

    # --- the index structures ------------------------------------------------------------
    def _document(self, index: SearchIndex, where: str) -> tuple[str, str]:
        """INSERT statements (FTS, trigram) adding the rows of ``index.table`` matching
        ``where``."""
        values = [
            f"coalesce({self.skills_sql(index, 'b.id')}, '')" if name == "skills" else f"b.{name}"
            for name in index.column_names
        ]
        columns = ", ".join(index.column_names)
        return (
            f"INSERT INTO {index.fts}(rowid, {columns}) "
            f"SELECT b.id, {', '.join(values)} FROM {index.table} b WHERE {where};",
            f"INSERT INTO {index.trigram}(rowid, trigram_name) "
            f"SELECT b.id, ' ' || b.{index.name_column} || ' ' FROM {index.table} b "
            f"WHERE {where};",
        )

    @staticmethod
    def _remove(index: SearchIndex, where: str) -> str:
        return (
            f"DELETE FROM {index.fts} WHERE rowid IN ({where}); "
            f"DELETE FROM {index.trigram} WHERE rowid IN ({where});"
        )

    def _triggers(self, index: SearchIndex) -> list[str]:
        t = index.table

        def refresh(ids: str) -> str:
            added = " ".join(self._document(index, f"b.id IN ({ids})"))
            return self._remove(index, ids) + " " + added

        watched = ", ".join(index.stored_columns)
        sql = [
            f"CREATE TRIGGER IF NOT EXISTS {t}_search_ai AFTER INSERT ON {t} "
            f"BEGIN {' '.join(self._document(index, 'b.id = new.id'))} END",
            f"CREATE TRIGGER IF NOT EXISTS {t}_search_au AFTER UPDATE OF {watched} ON {t} "
            f"BEGIN {refresh('SELECT new.id')} END",
            f"CREATE TRIGGER IF NOT EXISTS {t}_search_ad AFTER DELETE ON {t} "
            f"BEGIN {self._remove(index, 'SELECT old.id')} END",
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

    @staticmethod
    def _trigger_names(index: SearchIndex) -> list[str]:
        names = [f"{index.table}_search_{s}" for s in ("ai", "au", "ad")]
        if index.skills:
            names += [f"{index.skills.through}_search_{s}" for s in ("ai", "ad")]
            names.append(f"accounts_skill_search_{index.table}")
        return names

    def create_sql(self, index: SearchIndex) -> list[str]:
        """The tables only: ``after_migrate`` adds the triggers and fills them once every
        migration of the run is applied (a later migration that rebuilds an indexed table, as
        SQLite's ALTER does, would fail on a trigger that names it)."""
        columns = ", ".join(index.column_names)
        return [
            f"CREATE VIRTUAL TABLE {index.fts} USING fts5({columns}, "
            f"tokenize='porter unicode61 remove_diacritics 2', prefix='{PREFIXES}')",
            f"CREATE VIRTUAL TABLE {index.trigram} USING fts5(trigram_name, tokenize='trigram')",
        ]

    def vocabulary(self, index: SearchIndex, sample: int) -> list[tuple[str, int]]:
        """FTS5's own vocabulary of the index (every row: it reads the index, not the rows)."""
        vocab = f"{index.fts}_vocab"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab} "
                f"USING fts5vocab(main, {index.fts}, 'row')"
            )
            cursor.execute(f"SELECT term, doc FROM temp.{vocab}")
            return [(str(term), int(doc)) for term, doc in cursor.fetchall()]

    def drop_sql(self, index: SearchIndex) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {name}" for name in self._trigger_names(index)] + [
            f"DROP TABLE IF EXISTS {index.fts}",
            f"DROP TABLE IF EXISTS {index.trigram}",
        ]

    def restore_sql(self, index: SearchIndex) -> list[str]:
        # ``after_migrate`` (which builds the code's definition) leaves an older one alone, so
        # it gets its triggers and rows here, and the code of that migration finds it working.
        return [*self._triggers(index), *self.rebuild_sql(index)]

    def rebuild_sql(self, index: SearchIndex) -> list[str]:
        return [
            f"DELETE FROM {index.fts}",
            f"DELETE FROM {index.trigram}",
            *self._document(index, "1"),
        ]

    def before_migrate(self, db: BaseDatabaseWrapper, indexes: Sequence[SearchIndex]) -> None:
        """Drop the search triggers (they would block or be lost with a table rebuild)."""
        with db.cursor() as cursor:
            for index in indexes:
                for name in self._trigger_names(index):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

    def after_migrate(self, db: BaseDatabaseWrapper, indexes: Sequence[SearchIndex]) -> None:
        """Re-create the search triggers and rebuild the indexes from the rows (the migrations
        may have rewritten them without the triggers)."""
        with db.cursor() as cursor:
            for index in indexes:
                cursor.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [index.fts]
                )
                if cursor.fetchone() is None:
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
                cursor.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (%s, %s) "
                    "ORDER BY name <> %s",
                    [index.fts, index.trigram, index.fts],
                )
                if [row[0] for row in cursor.fetchall()] != self.create_sql(index):
                    # The same columns with other options (prefix lengths, a tokenizer): the
                    # tables are made again as the code makes them, and filled below.
                    for statement in [*self.drop_sql(index), *self.create_sql(index)]:
                        cursor.execute(statement)
                for statement in [*self._triggers(index), *self.rebuild_sql(index)]:
                    cursor.execute(statement)

    # --- searching -----------------------------------------------------------------------
    def hits(self, index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
        compiled = compile_fts5(parsed, index.name_column)
        # "+rowid": a plain filter on the rows FTS5 yields. A bare "rowid IN (...)" is handed
        # to FTS5, which then re-runs the whole MATCH once per listed id (measured: 1 s vs 3 ms).
        within_sql, within_params = within(queryset, "+rowid")
        fuzzy = fuzzy_words(parsed)
        weights = ", ".join(str(WEIGHTS[weight]) for _, weight in index.columns)
        matches = self._fuzzy_matches(index, fuzzy, queryset)
        fts = index.fts
        tier_limits = {compiled.in_name: TIER, **tiers(compiled.strict, compiled.loose)}

        def tier(limit: int) -> str:
            return (
                f"SELECT id FROM (SELECT rowid AS id FROM {fts} WHERE {fts} MATCH %s{within_sql} "
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
        candidates = " UNION ".join(tier(n) for n in tier_limits.values())
        sql = f"""
            WITH candidates AS MATERIALIZED ({candidates}),
            ranked AS MATERIALIZED (
                SELECT rowid AS id, bm25({fts}, {weights}) AS bm FROM {fts}
                WHERE {fts} MATCH %s AND +rowid IN (SELECT id FROM candidates)
            ),
            fuzzy AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS similarity
                FROM json_each(%s)
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
            {ranking(exclude)}
        """
        params: list[Any] = []
        for tier_query in tier_limits:
            params += [tier_query, *within_params]
        params += [compiled.loose, json.dumps(matches)]
        if compiled.strict != compiled.loose:
            params.append(compiled.strict)
        if compiled.phrase:
            params.append(compiled.phrase)
        if compiled.excluded:
            params.append(compiled.excluded)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Hit(row[0], float(row[3])) for row in cursor.fetchall()]

    def _fuzzy_matches(
        self, index: SearchIndex, words: Sequence[str], queryset: QuerySet[Any]
    ) -> list[tuple[int, float]]:
        """The names like the (possibly misspelt) words, with their trigram similarity (the
        best over the words): for each word, at most ``FUZZY_CANDIDATES`` names sharing the
        most of its trigrams, and only names sharing enough to reach the threshold (the names
        are indexed padded with one space, so a word's "  x" trigram is never there).

        A few statements, however many the words. (1) A word held whole (" word ") by
        ``FUZZY_CANDIDATES`` names or more takes the first of those: they share all its
        trigrams, so they are what counting ranks first (with the rare name holding them all
        apart, "Tidalsignal" for "tidal", which they replace), without counting the tens of
        thousands of rows a common word's trigrams are in. (2) The other words' names are
        counted (``_most_shared``; ranking every name with any of the trigrams by bm25 cost
        4-12 ms). (3) A name holding a word whole is as like it as can be (1); pg_trgm's
        ``word_similarity``, in Python, measures the others."""
        if not words:
            return []
        tri = index.trigram
        within_sql, within_params = within(queryset, "+rowid")
        whole = (
            f"SELECT %s, (SELECT group_concat(id) FROM (SELECT rowid AS id FROM {tri} "
            f"WHERE {tri} MATCH %s{within_sql} ORDER BY rowid LIMIT {FUZZY_CANDIDATES}))"
        )
        params: list[Any] = []
        for word in words:
            params += [word, f'" {word} "', *within_params]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join([whole] * len(words)), params)
            held = {
                word: [int(row) for row in text.split(",")] if text else []
                for word, text in cursor.fetchall()
            }
        chosen = {row for rows in held.values() if len(rows) >= FUZZY_CANDIDATES for row in rows}
        rare = [word for word in words if len(held[word]) < FUZZY_CANDIDATES]
        if rare:
            chosen.update(self._most_shared(index, rare, queryset))
        exact = {row for rows in held.values() for row in rows}
        similar = [(row, 1.0) for row in sorted(chosen & exact)]
        measure = sorted(chosen - exact)
        if measure:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {index.name_column} FROM {index.table} "
                    "WHERE id IN (SELECT value FROM json_each(%s))",
                    [json.dumps(measure)],
                )
                similar += [
                    (row, max(word_similarity(word, name) for word in words))
                    for row, name in cursor.fetchall()
                ]
        return similar

    @staticmethod
    def _most_shared(index: SearchIndex, words: Sequence[str], queryset: QuerySet[Any]) -> set[int]:
        """For each word, at most ``FUZZY_CANDIDATES`` rows whose names share the most of its
        trigrams (ties: the lowest ids), only rows sharing enough to reach the similarity
        threshold. Each trigram's doclist is read once, as one text, and counted here: a
        third quicker than a ``GROUP BY`` over them (which sorts every row, 19,000-34,000 for
        a word at 100k names)."""
        tri = index.trigram
        grams = {w: sorted(g for g in trigrams(w) if not g.startswith("  ")) for w in words}
        wanted = sorted({gram for word in words for gram in grams[word]})
        with connection.cursor() as cursor:
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s, (SELECT group_concat(rowid) FROM {tri} WHERE {tri} MATCH %s)"
                    for _ in wanted
                ),
                [value for gram in wanted for value in (gram, f'"{gram}"')],
            )
            doclists = {gram: text.split(",") if text else [] for gram, text in cursor.fetchall()}
        kept: dict[str, list[tuple[int, int]]] = {}
        for word in words:
            need = max(1, math.ceil(FUZZY_THRESHOLD * len(trigrams(word))) - 1)
            shared: Counter[str] = Counter()
            for gram in grams[word]:
                shared.update(doclists[gram])
            kept[word] = sorted((-n, int(row)) for row, n in shared.items() if n >= need)
        inside_sql, inside_params = within(queryset, "value")
        if inside_sql:  # the doclists are read whole: keep the rows the queryset holds
            every = sorted({row for rows in kept.values() for _, row in rows})
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT value FROM json_each(%s) WHERE 1{inside_sql}",
                    [json.dumps(every), *inside_params],
                )
                allowed = {row for (row,) in cursor.fetchall()}
            kept = {word: [r for r in rows if r[1] in allowed] for word, rows in kept.items()}
        return {row for rows in kept.values() for _, row in rows[:FUZZY_CANDIDATES]}

    def snippets(
        self, index: SearchIndex, ids: Sequence[int], parsed: ParsedQuery
    ) -> list[tuple[int, str | None]]:
        fts = index.fts
        match = compile_fts5(parsed, index.name_column).loose
        snippet = (
            f"SELECT rowid, snippet({fts}, -1, %s, %s, '…', 16) FROM {fts} WHERE {fts} MATCH %s"
        )
        if all(len(t.words[-1]) <= max(PREFIX_LENGTHS) for t in parsed.positives if t.prefix):
            # Each row looked up by its rowid: FTS5 reads that row's entries only, as long as
            # a prefix the query ends with is one the index keeps (a longer one would merge
            # every term that starts with it, once per row).
            sql = " UNION ALL ".join([f"{snippet} AND rowid = %s"] * len(ids))
            params = [value for row_id in ids for value in (MARK_START, MARK_END, match, row_id)]
        else:  # one pass over the matches, filtered to the page ("+rowid", see ``hits``)
            sql = f"{snippet} AND +rowid IN ({', '.join(['%s'] * len(ids))})"
            params = [MARK_START, MARK_END, match, *ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
