"""The query language: websearch syntax (words, "quoted phrases", ``or``, ``-exclusion``)
parsed once into terms made only of ``\\w+`` characters, so no input can be a syntax error; each
backend compiles the same parse. Also the trigram measure of typo tolerance
(``word_similarity``: pg_trgm's, which SQLite gets as a function)."""

import re
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MIN_PREFIX = 2  # a last word this long matches as a prefix ("pay" finds "payments")
FUZZY_MIN_LENGTH = 5  # words this long are matched fuzzily too


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


def fuzzy_words(parsed: ParsedQuery) -> list[str]:
    return [w for w in dict.fromkeys(parsed.words) if len(w) >= FUZZY_MIN_LENGTH][:3]


# --- trigram similarity (pg_trgm's word_similarity; SQLite computes it on bounded candidates)
def trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def word_similarity(word: str | None, text: str | None) -> float:
    """Best trigram similarity between ``word`` and any word of ``text`` (0..1)."""
    if not word or not text:
        return 0.0
    target = trigrams(word.lower())
    best = 0.0
    for other in _WORD.findall(text.lower()):
        grams = trigrams(other)
        best = max(best, len(target & grams) / len(target | grams))
    return best
