"""PostgreSQL: a ``search_vector`` tsvector column filled by a trigger (also fired when the
row's skills change), a GIN index on it, a GIN index on the name's own vector and a GIN
trigram index (pg_trgm) on the name; queries compiled to ``to_tsquery`` text (not
``websearch_to_tsquery``, which cannot express the prefix match of the last word), ranked by
``ts_rank`` (term frequency, as SQLite's ``bm25``; ``ts_rank_cd``'s cover density cost 3x as
much, and the ranking rewards the words as a phrase on its own) and pg_trgm's
``word_similarity``, excerpts by ``ts_headline``.

The trigger names no column in its definition (it compares OLD and NEW itself), so altering a
column is never blocked."""

import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from snowballstemmer import stemmer

from search.backends.base import (
    FUZZY_CANDIDATES,
    FUZZY_SCAN,
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
from search.parser import ParsedQuery, Term, fuzzy_words

STATS_SECONDS = 300.0  # how long a process keeps the index's lexeme shares
PREFIX_SHARE = 0.05  # a prefix whose words are in fewer rows is cheap to look up as it is
_local = threading.local()  # a snowball stemmer keeps state while it stems: one per thread
_shares: dict[str, tuple[float, dict[str, float]]] = {}


def lexeme_shares(index: SearchIndex) -> dict[str, float]:
    """The share of rows holding each common lexeme of the index (pg_stats' most common
    elements of ``search_vector``: about 1 % of the rows or more, as the last ``ANALYZE``
    measured them), read at most every ``STATS_SECONDS`` per process; ``{}`` if unreadable."""
    kept = _shares.get(index.table)
    if kept is not None and time.monotonic() - kept[0] < STATS_SECONDS:
        return kept[1]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT lexeme, share FROM pg_stats s, unnest(s.most_common_elems::text::text[], "
                "s.most_common_elem_freqs) AS x(lexeme, share) WHERE s.schemaname = "
                "current_schema() AND s.tablename = %s AND s.attname = 'search_vector'",
                [index.table],
            )
            shares = {str(lexeme): float(share) for lexeme, share in cursor if lexeme}
    except DatabaseError:
        shares = {}
    _shares[index.table] = (time.monotonic(), shares)
    return shares


def _stem(word: str) -> str:
    """The word as the 'english' configuration stems it (snowball)."""
    english = getattr(_local, "english", None)
    if english is None:
        english = _local.english = stemmer("english")
    return str(english.stemWord(word))


def _tsquery_term(term: Term) -> str:
    body = " <-> ".join(f"'{word}'" for word in term.words) + (":*" if term.prefix else "")
    return f"!({body})" if term.negated else f"({body})"


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


class PostgreSQLBackend(Backend):
    name = "postgresql"
    algorithms = (
        "tsvector (name A; tagline, industry, skills B; description C) with a GIN index",
        "to_tsquery: words, quoted phrases, or, -exclusion, prefix of the last word",
        "ts_rank ranking",
        "pg_trgm word similarity on names (GIN trigram index)",
        "ts_headline snippets",
        "typo correction of any word against the index's lexemes (ts_stat), when nothing matches",
    )
    skills_aggregate = "string_agg(s.name, ' ')"
    stemmer = "english"  # the 'english' configuration's snowball stemmer

    def vocabulary(self, index: SearchIndex, sample: int) -> list[tuple[str, int]]:
        """The lexemes of the newest ``sample`` rows (ts_stat reads every vector it is given:
        a bounded sample keeps it quick; the common words are all there)."""
        rows = f"SELECT search_vector FROM {index.table} ORDER BY id DESC LIMIT {int(sample)}"
        with connection.cursor() as cursor:
            # In the caller's savepoint: a second at most, whatever the process's deadline.
            cursor.execute("SET LOCAL statement_timeout = 1000")
            cursor.execute("SELECT word, ndoc FROM ts_stat(%s)", [rows])
            found = [(str(word), int(ndoc)) for word, ndoc in cursor.fetchall()]
            cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
            return found

    def _vector(self, index: SearchIndex) -> str:
        parts = []
        for name, weight in index.columns:
            source = self.skills_sql(index, "NEW.id") if name == "skills" else f"NEW.{name}"
            parts.append(f"setweight(to_tsvector('english', coalesce({source}, '')), '{weight}')")
        return " || ".join(parts)

    def create_sql(self, index: SearchIndex) -> list[str]:
        t = index.table
        old = ", ".join(f"OLD.{c}" for c in index.stored_columns)
        new = ", ".join(f"NEW.{c}" for c in index.stored_columns)
        sql = [
            # pg_trgm is a trusted extension (PostgreSQL 13+): a user with CREATE on the
            # database can create it; otherwise a superuser must run this statement once.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"ALTER TABLE {t} ADD COLUMN search_vector tsvector",
            # An update that changes no indexed column keeps the vector (a NULL vector -- set
            # by the skills trigger or a rebuild -- is always recomputed).
            f"CREATE FUNCTION {t}_search_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND NEW.search_vector IS NOT NULL "
            f"AND ROW({new}) IS NOT DISTINCT FROM ROW({old}) THEN RETURN NEW; END IF; "
            f"NEW.search_vector := {self._vector(index)}; RETURN NEW; END $$",
            f"CREATE TRIGGER {t}_search BEFORE INSERT OR UPDATE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION {t}_search_update()",
            f"UPDATE {t} SET search_vector = NULL",
            f"CREATE INDEX {t}_search_gin ON {t} USING gin (search_vector)",
            # Finer statistics of the words: the planner's choice between a scan that stops
            # early (a common word) and the GIN index (a rare one) depends on them.
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
                *self.skills_triggers_sql(index),
                # A renamed skill re-indexes the rows that have it.
                f"CREATE FUNCTION accounts_skill_search_{t}() RETURNS trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN IF NEW.name IS DISTINCT FROM OLD.name THEN UPDATE {t} SET "
                f"search_vector = NULL WHERE id IN (SELECT {fk} FROM {through} WHERE skill_id = "
                "NEW.id); END IF; RETURN NULL; END $$",
                f"CREATE TRIGGER accounts_skill_search_{t} AFTER UPDATE ON accounts_skill "
                f"FOR EACH ROW EXECUTE FUNCTION accounts_skill_search_{t}()",
            ]
        return sql

    def skills_triggers_sql(self, index: SearchIndex) -> list[str]:
        """Skills added to or removed from rows re-index each of those rows once per statement
        (``skills.set([...])`` or a bulk insert: one UPDATE), not once per skill: every
        UPDATE of a row writes a new version of it and of its index entries, and a row
        updated once per skill left a freshly loaded table (100k startups, four skills each)
        five times its size, its GIN index three times, with every search reading more."""
        if index.skills is None:
            return []
        t, through, fk = index.table, index.skills.through, index.skills.column
        return [
            f"DROP TRIGGER IF EXISTS {through}_search ON {through}",  # the per-row one, before
            f"DROP TRIGGER IF EXISTS {through}_search_insert ON {through}",
            f"DROP TRIGGER IF EXISTS {through}_search_delete ON {through}",
            f"CREATE OR REPLACE FUNCTION {through}_search_touch() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN UPDATE {t} SET search_vector = NULL "
            f"WHERE id IN (SELECT DISTINCT {fk} FROM changed); RETURN NULL; END $$",
            f"CREATE TRIGGER {through}_search_insert AFTER INSERT ON {through} "
            f"REFERENCING NEW TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {through}_search_touch()",
            f"CREATE TRIGGER {through}_search_delete AFTER DELETE ON {through} "
            f"REFERENCING OLD TABLE AS changed "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {through}_search_touch()",
        ]

    def drop_sql(self, index: SearchIndex) -> list[str]:
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
                f"DROP TRIGGER IF EXISTS {through}_search_insert ON {through}",
                f"DROP TRIGGER IF EXISTS {through}_search_delete ON {through}",
                f"DROP FUNCTION IF EXISTS {through}_search_touch()",
                f"DROP TRIGGER IF EXISTS accounts_skill_search_{t} ON accounts_skill",
                f"DROP FUNCTION IF EXISTS accounts_skill_search_{t}()",
            ]
        return sql

    def rebuild_sql(self, index: SearchIndex) -> list[str]:
        return [f"UPDATE {index.table} SET search_vector = NULL"]  # the trigger refills it

    def _anchor(self, index: SearchIndex, parsed: ParsedQuery) -> str | None:
        """What the "every word" candidates are looked up by when the last word, a prefix as
        typed, begins words in many rows and the whole words are rarer ("supply ch": the
        index unions the rows of every word starting with "ch", half the rows, 10-20 ms at
        100k, where "suppli" alone is a tenth): the whole words, or None for the whole query.
        How common they are is what ``ANALYZE`` measured (``lexeme_shares``); a word it did
        not list (rare, or a stop word the index leaves out) is never an anchor."""
        if len(parsed.clauses) != 1:
            return None
        terms = [t for t in parsed.clauses[0] if not t.negated]
        prefixed = [t for t in terms if t.prefix]
        whole = [t for t in terms if not t.prefix]
        if not prefixed or not whole:
            return None
        shares = lexeme_shares(index)
        stems = [_stem(word) for t in whole for word in t.words]
        if not shares or any(stem not in shares for stem in stems):
            return None
        start = _stem(prefixed[0].words[-1])
        prefix_share = sum(share for lexeme, share in shares.items() if lexeme.startswith(start))
        if prefix_share < PREFIX_SHARE or prefix_share < 2 * min(shares[s] for s in stems):
            return None
        return " & ".join(_tsquery_term(t) for t in whole)

    def savepoint(self) -> AbstractContextManager[Any]:
        """A failed statement aborts the transaction it is in: run in a savepoint."""
        return transaction.atomic()

    def hits(self, index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
        compiled = compile_tsquery(parsed)
        within_sql, within_params = within(queryset, "b.id")
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
        tier_limits = tiers(compiled.strict, compiled.loose)
        vector_match = "b.search_vector @@ to_tsquery('english', %s)"
        conditions = dict.fromkeys(tier_limits, vector_match)
        anchor = self._anchor(index, parsed)
        if anchor is not None:
            # The index looks up the whole words only; the rows it yields are checked against
            # every word ("IS TRUE" keeps that check out of the index), in the same order.
            conditions[compiled.strict] = (
                f"{vector_match} AND (b.search_vector @@ to_tsquery('english', %s)) IS TRUE"
            )
        exclude = (
            f" AND id NOT IN (SELECT id FROM {index.table} "
            "WHERE search_vector @@ to_tsquery('english', %s))"
            if compiled.excluded
            else ""
        )

        def tier(condition: str, limit: int = TIER) -> str:
            # The tsquery is written out (not taken from a CTE) so the planner can estimate
            # how common the words are: a scan that stops after `limit` rows for a common
            # word, the GIN index for a rare one.
            return f"(SELECT b.id FROM {index.table} b WHERE {condition}{within_sql} LIMIT {limit})"

        word_tiers = [tier(conditions[query], limit) for query, limit in tier_limits.items()]

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
                    WHERE ({fuzzy_match}){within_sql} LIMIT {FUZZY_SCAN}
                ) f
                ORDER BY similarity DESC, id LIMIT {FUZZY_CANDIDATES * max(len(fuzzy), 1)}
            ),
            candidates AS (
                {tier(f"{name_vector} @@ to_tsquery('english', %s)")}
                UNION {" UNION ".join(word_tiers)}
                UNION (SELECT id FROM fuzzy)
            ),
            scored AS (
                SELECT b.id,
                       coalesce(b.search_vector @@ q.strict, false) AS strict,
                       coalesce(b.search_vector @@ q.phrase, false) AS phrase,
                       CASE WHEN b.search_vector @@ q.loose
                            THEN ts_rank('{weights}', b.search_vector, q.loose, 32) ELSE 0 END
                         AS relevance,
                       coalesce(fuzzy.similarity, 0) AS similarity
                FROM {index.table} b CROSS JOIN q LEFT JOIN fuzzy ON fuzzy.id = b.id
                WHERE b.id IN (SELECT id FROM candidates)
            )
            {ranking(exclude)}
        """
        params: list[Any] = [compiled.loose, compiled.strict, compiled.phrase or ""]
        params += [*fuzzy, *fuzzy, *within_params]
        params += [compiled.in_name, *within_params]
        for tier_query in tier_limits:
            if tier_query == compiled.strict and anchor is not None:
                params.append(anchor)
            params += [tier_query, *within_params]
        if compiled.excluded:
            params.append(compiled.excluded)
        with transaction.atomic(), connection.cursor() as cursor:
            # A tier read by a sequential scan that stops at its limit must start at the
            # table's first page: with synchronized scans (the default, for tables over a
            # quarter of shared_buffers) it starts where the last scan stopped, and the same
            # search found other rows each time.
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), "
                "set_config('synchronize_seqscans', 'off', true)",
                [str(FUZZY_THRESHOLD)],
            )
            cursor.execute(sql, params)
            return [Hit(row[0], float(row[3])) for row in cursor.fetchall()]

    def snippets(
        self, index: SearchIndex, ids: Sequence[int], parsed: ParsedQuery
    ) -> list[tuple[int, str | None]]:
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
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT b.id, CASE {cases} END FROM {index.table} b, "
                "(SELECT to_tsquery('english', %s) AS query, %s AS options) q "
                f"WHERE b.id IN ({', '.join(['%s'] * len(ids))})",
                [compile_tsquery(parsed).loose, options, *ids],
            )
            return cursor.fetchall()
