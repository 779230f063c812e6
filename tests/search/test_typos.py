"""Typo tolerance on any word (issue 18): a query that finds nothing is read again with its
unknown words replaced by the nearest words the index holds -- on both backends."""

import pytest

from search import vocabulary
from startups.models import Startup
from startups.search import search_startups
from tests.startups.factories import StartupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    """Startups whose words are common (in descriptions and skills, not their names)."""
    rows = [
        ("Ledgerly", "Cross-border payments for small businesses.", ["payments"]),
        ("Coinwise", "Invoice financing; payments on day one.", ["python"]),
        ("Lockbox", "Security reviews for cloud teams.", ["security"]),
        ("Sentinel Nine", "Network security monitoring.", ["go"]),
        ("Caremap", "Healthcare scheduling for clinics.", ["healthcare"]),
        ("Armature", "Robotics for warehouses.", ["robotics"]),
        ("Gripwell", "Robotics arms that learn by watching.", ["python"]),
        ("Clinicly", "Healthcare records for small practices.", ["python"]),
        ("Terraloop", "Heat pumps for homes.", ["climate"]),
    ]
    for name, description, skills in rows:
        StartupFactory(name=name, tagline="", description=description, skills=skills)
    vocabulary.vocabulary_load(startups_index())  # as the background refresh does


def startups_index():
    from search.indexes import registered

    (index,) = [i for i in registered() if i.table == "startups_startup"]
    return index


def names(query: str) -> list[str]:
    return [startup.name for startup in search_startups(Startup.objects.all(), query)]


def text_of(name: str) -> str:
    startup = Startup.objects.get(name=name)
    skills = " ".join(s.name for s in startup.skills.all())
    return f"{startup.name} {startup.tagline} {startup.description} {skills}".lower()


@pytest.mark.parametrize(
    ("typo", "word", "stem"),
    [
        ("paymnets", "payments", "payment"),  # two letters swapped
        ("secruity", "security", "secur"),  # swapped before the suffix
        ("helthcare", "healthcare", "health"),  # a letter missing
        ("robotcs", "robotics", "robot"),
    ],
)
def test_a_misspelt_common_word_finds_what_the_word_finds(
    demo: None, typo: str, word: str, stem: str
) -> None:
    exact = names(word)
    assert exact, f"the demo data has {word}"
    found = names(typo)
    assert found, f"{typo} finds nothing"
    assert all(stem in text_of(name) for name in found)
    assert set(found) & set(exact)


def test_a_word_that_matches_is_never_corrected(demo: None) -> None:
    """A new word (not yet in the vocabulary read at start) finds its row as typed."""
    StartupFactory(name="Paymentz Collective", tagline="Zyxwvut ledgers")
    assert names("zyxwvut") == ["Paymentz Collective"]


def test_nonsense_still_finds_nothing(demo: None) -> None:
    assert names("qwxzvbnmkj") == []
    assert names("xq") == []


def test_the_correction_is_what_the_api_serves(demo: None, api_client) -> None:
    response = api_client.get("/api/v1/startups/", {"search": "paymnets"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results
    assert {r["name"] for r in results} <= set(names("payments")) | set(names("paymnets"))


def test_the_nearest_word_wins(demo: None) -> None:
    known = vocabulary.vocabulary_get(startups_index())
    assert known is not None and "payment" in known.docs
    assert vocabulary.nearest(known, "paymnets") == "payment"
    assert vocabulary.nearest(known, "qwxzvbnmkj") is None


def test_the_vocabulary_holds_only_stems_the_index_would_not_stem_again(demo: None) -> None:
    known = vocabulary.vocabulary_get(startups_index())
    assert known is not None and known.docs
    assert all(vocabulary._stem(word, known.stemmer_name) == word for word in known.docs)
    assert all(count >= vocabulary.MIN_DOCS for count in known.docs.values())


def test_stop_words_are_not_corrected_into_other_words(demo: None) -> None:
    from search.parser import parse

    parsed = parse("these")
    assert vocabulary.corrected(startups_index(), parsed) == (parsed, {})


def test_a_process_that_has_not_read_the_vocabulary_corrects_nothing_yet() -> None:
    """The request never reads it (the background refresh does): no correction, no error."""
    StartupFactory(name="Ledgerly", description="Cross-border payments.", skills=["payments"])
    from search.parser import parse

    parsed = parse("paymnets")
    assert vocabulary.corrected(startups_index(), parsed) == (parsed, {})
