"""One relevance test set, run on whichever database the suite runs on: SQLite (FTS5) in the
default run, PostgreSQL (tsvector + pg_trgm) in the service-backed run. Same rules on both."""

import pytest
from django.db import connection

from accounts.models import User
from search.backends.base import FUZZY_CANDIDATES
from search.engine import hits
from search.parser import parse
from startups.models import Opportunity, Startup
from startups.search import STARTUPS, search_opportunities, search_people, search_startups
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory

pytestmark = pytest.mark.django_db


def startup(name: str, tagline: str = "", description: str = "", **kwargs: object) -> Startup:
    return StartupFactory(name=name, tagline=tagline, description=description, **kwargs)


def names(query: str) -> list[str]:
    return [s.name for s in search_startups(Startup.objects.all(), query)]


@pytest.fixture
def distractors() -> None:
    """Unrelated rows, so a query that matched everything would show."""
    for i, word in enumerate(["Harbor", "Meadow", "Copper", "Lantern", "Orchard", "Pebble"]):
        startup(f"{word} Systems", f"tools for {word.lower()} teams", f"We build {word.lower()}s.")
        startup(f"{word}ly {i}", "", "A company.")


def test_name_beats_tagline_beats_description(distractors: None) -> None:
    startup("Alpha Desc", description="Our platform uses zorblax to cut costs.")
    startup("Alpha Tag", tagline="Zorblax for finance teams")
    startup("Zorblax")

    assert names("zorblax") == ["Zorblax", "Alpha Tag", "Alpha Desc"]


def test_all_words_beat_some_even_against_a_name_match(distractors: None) -> None:
    startup("Quantum Widgets", description="Widgets.")
    startup("Crumb Co", description="A quantum leap for the neighbourhood bakery.")
    startup("Bakery Tools", description="Ovens.")

    found = names("quantum bakery")
    assert found[0] == "Crumb Co"
    assert set(found[1:]) == {"Quantum Widgets", "Bakery Tools"}


def test_exact_phrase_beats_scattered_words(distractors: None) -> None:
    startup("Scattered", description="Hydrogen pumps for farms, painted green.")
    startup("Adjacent", description="Green hydrogen storage for farms.")

    assert names("green hydrogen") == ["Adjacent", "Scattered"]
    assert names('"green hydrogen"') == ["Adjacent"]


@pytest.mark.parametrize(
    ("query", "intended"),
    [
        ("Nortledger", "Northledger"),  # a letter missing
        ("Northlegder", "Northledger"),  # two letters swapped
        ("Nxrthledger", "Northledger"),  # one letter wrong
        ("Tidel Pay", "Tidal Pay"),  # a five-letter word
        ("finacial ledger", "Northledger"),  # typo in one word, another word right
    ],
)
def test_one_typo_still_finds_the_startup_in_the_top_three(
    distractors: None, query: str, intended: str
) -> None:
    startup("Northledger", "Financial ledger for small shops")
    startup("Northwind Labs", "Weather data")
    startup("Ledgerly", "Invoices")
    startup("Tidal Pay", "Payments that flow")
    startup("Tidy Plays", "Toys")
    startup("Pay Tidal", "Reverse")

    assert intended in names(query)[:3]


def test_the_last_word_matches_as_a_prefix_while_typing(distractors: None) -> None:
    startup("Northledger", "Ledgers")
    startup("Brightpath", "Paths")

    assert names("northl")[0] == "Northledger"
    assert names("brightp")[0] == "Brightpath"


def test_exclusion_and_or(distractors: None) -> None:
    startup("Adjacent", description="Green hydrogen storage.")
    startup("Scattered", description="Hydrogen pumps.")
    startup("Quorvex", description="Nothing else.")

    assert names("hydrogen -pumps") == ["Adjacent"]
    assert set(names("quorvex or pumps")) == {"Quorvex", "Scattered"}
    assert names("-hydrogen") == []  # nothing to look for


def test_an_excluded_word_also_excludes_fuzzy_matches(distractors: None) -> None:
    startup("Kind Defense", "Security")
    startup("Defensio", "Security")

    assert "Kind Defense" in names("defense")
    assert "Kind Defense" not in names("defense -kind")
    assert "Kind Defense" not in names("defenze -kind")  # a typo: found fuzzily, still excluded


def test_stemming_matches_word_forms(distractors: None) -> None:
    startup("Runner", description="We are running the best payment networks.")

    assert names("run payments network")[0] == "Runner"


def test_ties_are_broken_by_id_and_results_are_deterministic(distractors: None) -> None:
    twins = [startup("Twin Quokka", "same text", "same text") for _ in range(4)]

    found = list(search_startups(Startup.objects.all(), "quokka"))
    assert [s.pk for s in found] == sorted(t.pk for t in twins)
    again = list(search_startups(Startup.objects.all(), "quokka"))
    assert [s.pk for s in again] == [s.pk for s in found]


def test_results_carry_a_highlighted_escaped_snippet(distractors: None) -> None:
    startup("Snippety", description="We sell <b>bold</b> widgets & zorblax engines to farms.")

    [hit] = search_startups(Startup.objects.all(), "zorblax")
    assert "<mark>zorblax</mark>" in hit.search_snippet.lower()
    assert "<b>" not in hit.search_snippet  # escaped (SQLite) or dropped (ts_headline)
    assert hit.search_score > 0


@pytest.mark.parametrize("query", ["zorbl", "zorblaxification", "engines zorblaxificat"])
def test_a_page_of_snippets_for_short_and_long_prefixes(distractors: None, query: str) -> None:
    # SQLite looks each row up by id when the last word is a prefix its index keeps (<= 8
    # characters), and reads the matches once otherwise: the same snippets either way.
    made = [
        startup(f"Snip {i}", description=f"Our zorblaxification engines, batch {i}.")
        for i in range(3)
    ]

    found = search_startups(Startup.objects.all(), query)[0:20]
    assert sorted(s.pk for s in found) == sorted(s.pk for s in made)
    assert all("<mark>" in s.search_snippet for s in found), [s.search_snippet for s in found]


def test_search_stays_within_the_given_queryset(distractors: None) -> None:
    fintech = startup("Zorblax Money", industry="fintech")
    startup("Zorblax Health", industry="healthtech")

    found = search_startups(Startup.objects.filter(industry="fintech"), "zorblax")
    assert [s.pk for s in found] == [fintech.pk]


def test_a_word_many_names_hold_stays_within_the_given_queryset(distractors: None) -> None:
    """More names hold the word than fuzzy matching proposes (SQLite then takes the first
    names holding it whole instead of counting trigrams): the rows outside the queryset,
    however early, are still never results, and every row inside is."""
    outside = startup("Zephyr Health", industry="healthtech")
    inside = [startup(f"Zephyr {i}", industry="fintech") for i in range(FUZZY_CANDIDATES + 5)]
    startup("Zephir Labs", industry="healthtech")  # a typo neighbour, outside too

    ranked = [
        hit.id for hit in hits(STARTUPS, Startup.objects.filter(industry="fintech"), "zephyr")
    ]
    assert sorted(ranked) == sorted(s.pk for s in inside)
    assert outside.pk not in ranked


def test_names_like_a_rare_word_stay_within_the_given_queryset(distractors: None) -> None:
    """Fewer names hold the word than fuzzy matching proposes (SQLite counts the trigrams
    the names share with it): a like name outside the queryset is not a result; inside, it
    is."""
    fintech = startup("Zorblax Money", industry="fintech")
    startup("Zorblaxx Health", industry="healthtech")  # like it, outside
    like = startup("Zorblaxx Pay", industry="fintech")  # like it, inside

    ranked = [
        hit.id for hit in hits(STARTUPS, Startup.objects.filter(industry="fintech"), "zorblax")
    ]
    assert ranked == [fintech.pk, like.pk]


def test_startups_by_their_skills_at_the_tagline_weight(distractors: None) -> None:
    """Startups list skills (the demo's `?search=python` found none of the 7 that do)."""
    startup("Zorblax", skills=["django"])
    startup("Alpha Skill", skills=["zorblax"])
    startup("Alpha Desc", description="Our platform uses zorblax to cut costs.")

    assert names("zorblax") == ["Zorblax", "Alpha Skill", "Alpha Desc"]


def test_opportunities_by_title_skills_and_description() -> None:
    by_title = OpportunityFactory(title="Quorvex Engineer", description="")
    by_skill = OpportunityFactory(title="Backend Engineer", description="", skills=["quorvex"])
    by_text = OpportunityFactory(title="Other", description="You will touch quorvex daily.")
    OpportunityFactory(title="Unrelated", description="Nothing.")

    found = search_opportunities(Opportunity.objects.all(), "quorvex")
    assert [o.pk for o in found] == [by_title.pk, by_skill.pk, by_text.pk]


def test_people_by_name_headline_and_skills() -> None:
    ada = UserFactory(name="Ada Quorvex", headline="Engineer", bio="")
    grace = UserFactory(name="Grace Hopper", headline="Quorvex specialist", bio="")
    linus = UserFactory(name="Linus T", headline="Kernel", bio="", skills=["quorvex"])
    UserFactory(name="Someone Else", headline="Baker", bio="")

    found = [u.pk for u in search_people(User.objects.all(), "quorvex")]
    assert found[0] == ada.pk
    assert set(found) == {ada.pk, grace.pk, linus.pk}
    assert search_people(User.objects.all(), "Ada Quorvx")[0].pk == ada.pk  # a typo


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")


@on_postgresql
def test_a_common_prefix_after_common_words_is_checked_on_the_rows_with_the_same_results() -> None:
    """'supply ch': the index looks up 'supply' and the rows are checked for a word starting
    with 'ch' (which begins words in half the rows); the results are the same as looking up
    both. A word ANALYZE did not list as common is never the anchor."""
    from search.backends import postgresql

    words = ["chain", "change", "charge", "check"]
    for i in range(240):
        startup(f"Row {i}", "", f"supply {words[i % 4]}" if i % 4 == 0 else f"{words[i % 4]} only")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE startups_startup")
    postgresql._shares.clear()
    backend = postgresql.PostgreSQLBackend()

    assert backend._anchor(STARTUPS, parse("supply ch")) == "('supply')"
    assert backend._anchor(STARTUPS, parse("zorblax ch")) is None  # not a common word
    assert backend._anchor(STARTUPS, parse("supply chain")) is None  # no prefix
    anchored = [hit.id for hit in backend.hits(STARTUPS, Startup.objects.all(), parse("supply ch"))]
    postgresql._shares[STARTUPS.table] = (float("inf"), {})  # no statistics: no anchor
    assert backend._anchor(STARTUPS, parse("supply ch")) is None
    plain = [hit.id for hit in backend.hits(STARTUPS, Startup.objects.all(), parse("supply ch"))]
    assert anchored == plain
    supply = set(
        Startup.objects.filter(description__startswith="supply").values_list("pk", flat=True)
    )
    assert set(plain[:60]) == supply  # every word first
    postgresql._shares.clear()


@on_postgresql
def test_the_candidates_are_read_without_synchronized_scans(distractors: None) -> None:
    """A tier read by a sequential scan that stops at its limit starts at the first page (a
    synchronized scan starts where the last one stopped: other rows each time, on tables over
    a quarter of shared_buffers)."""
    seen = []

    def spy(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if "WITH q AS MATERIALIZED" in sql:
            with context["connection"].cursor() as cursor:
                cursor.execute("SHOW synchronize_seqscans")
                seen.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert names("harbor")
    assert seen == ["off"]
