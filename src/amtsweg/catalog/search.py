"""Citizen search over the service catalogue: German text analysis and an in-memory ranked index.

The index lives in the process and is built from the ``Service`` table, so search behaves the same
on SQLite and PostgreSQL. It is rebuilt when a cheap version stamp of the catalogue changes
(number of services and their latest ``updated_at``, plus the synonym file's modification time).

Text analysis: Unicode/umlaut folding (``Führerschein`` = ``Fuehrerschein`` = ``Fuhrerschein``),
German Snowball stemming, compound splitting against the catalogue's own vocabulary with the
linking morphemes s/es/n/en/e, prefix completion of the last word while typing, and a curated
synonym list of everyday words (``data/synonyms.txt``). Ranking is BM25F over weighted fields.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer
from django.conf import settings
from django.db.models import Count, Max

from .models import Service

DEFAULT_SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.txt"

# --- text analysis ---------------------------------------------------------------------------

# "ae/oe/ue" written for an umlaut, but not in "Bauer", "Feuer", "neue", "Quelle".
_UMLAUT_DIGRAPH = re.compile(r"(?<![aeiouq])([aou])e")
_TOKEN = re.compile(r"[^\W_]+")
_FOLD_ROUNDS = 6


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _word_set("""
    a ab am an als auch auf aus bei beim bin bis da das dass dem den der des die dies diese dieser du
    durch ein eine einem einen einer eines er es fur gegen hat ich ihr im in ist ja kann man mein meine
    meinem meinen meiner mich mit nach nicht noch ob oder ohne sein seine sich sie sind so uber um und
    uns unser unter vom von vor war was weg wegen welche wenn wer wie wir wird wo zu zum zur
""")

# Words that say "I want to do something" without naming the service; dropped from a query
# as long as something else remains ("Wohngeld beantragen" searches for "Wohngeld").
QUERY_FILLERS = _word_set("""
    beantragen beantrage beantragung antrag antrage antragen stellen machen mochte brauche benotige
    bekommen erhalten online wie wo bitte hilfe info infos information informationen formular formulare
""")

_stemmer_local = threading.local()


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _UMLAUT_DIGRAPH.sub(r"\1", text)


def fold(text: str) -> str:
    """Lower-case, strip accents and umlauts, ß→ss, ae/oe/ue→a/o/u; ``fold(fold(x)) == fold(x)``."""
    for _ in range(_FOLD_ROUNDS):
        folded = _fold_once(text)
        if folded == text:
            return folded
        text = folded
    return text


def tokenize(text: str) -> list[str]:
    """Folded word tokens of ``text`` (letters and digits; punctuation and hyphens separate words)."""
    return _TOKEN.findall(fold(text))


def _stemmer() -> Any:
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:  # Snowball stemmers keep state, so one per thread
        stemmer = snowballstemmer.stemmer("german")
        _stemmer_local.stemmer = stemmer
    return stemmer


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Stem of a folded token: German Snowball, applied twice, then a trailing "ung" dropped.

    Snowball alone keeps verb and noun apart in common cases ("verlängern" → verlang,
    "Verlängerung" → verlanger; "melden" → meld, "Meldung" → meldung); a citizen types the
    verb and the catalogue names the noun, so both must meet. Digits and short words stay.
    """
    if len(token) <= 3 or not token.isalpha():
        return token
    stemmer = _stemmer()
    result = str(stemmer.stemWord(str(stemmer.stemWord(token))))
    if len(result) >= 7 and result.endswith("ung"):
        result = result[:-3]
    return result


LINKING_MORPHEMES = ("es", "en", "s", "n", "e")
_TRAILING_INFLECTIONS = ("", "e", "n", "s", "en", "es", "er", "ern")
_MIN_PART = 3
# Verb prefixes are not words of their own: "Verlust" is no "ver" + "Lust".
NOT_A_PART = _word_set("be emp ent er ge miss ver zer")
_MIN_COMPOUND = 6


def split_compound(word: str, vocabulary: frozenset[str] | set[str]) -> list[str] | None:
    """Split a folded word into known vocabulary words, allowing linking morphemes between them.

    ``hundesteuer`` → ``["hund", "steuer"]`` when both are known. Returns ``None`` when the word
    is not a compound of known words. Prefers the split with the fewest parts, then the fewest
    linking letters.
    """
    n = len(word)
    if n < _MIN_COMPOUND:
        return None
    # best[i]: (parts, linking letters, parts list) covering word[:i], ending at a part boundary
    best: list[tuple[int, int, list[str]] | None] = [None] * (n + 1)
    best[0] = (0, 0, [])
    for start in range(n):
        current = best[start]
        if current is None:
            continue
        for end in range(start + _MIN_PART, n + 1):
            part = word[start:end]
            if part == word or part not in vocabulary or part in NOT_A_PART:
                continue
            parts = [*current[2], part]
            for link in ("", *LINKING_MORPHEMES):
                stop = end + len(link)
                if stop > n or word[end:stop] != link:
                    continue
                candidate = (current[0] + 1, current[1] + len(link), parts)
                existing = best[stop]
                if existing is None or candidate[:2] < existing[:2]:
                    best[stop] = candidate
    result: tuple[int, int, list[str]] | None = None
    for inflection in _TRAILING_INFLECTIONS:
        if len(inflection) >= n:
            continue
        found = best[n - len(inflection)]
        if found is not None and found[0] >= 2 and (result is None or found[:2] < result[:2]):
            result = found
    return result[2] if result else None


def derive_compound_parts(words: set[str] | frozenset[str], *, min_count: int = 2) -> set[str]:
    """Words that occur only inside compounds of the catalogue, found by their known neighbours.

    "Steuer" never stands alone in the catalogue, but "Hundesteuer" = hund·e·steuer and
    "Grundsteuer" = grund·steuer both leave "steuer" after a known word; a remainder (or, mirrored,
    a modifier before a known head word) seen in at least ``min_count`` compounds is taken as a word.
    """
    heads: dict[str, int] = defaultdict(int)
    modifiers: dict[str, int] = defaultdict(int)
    for word in words:
        if len(word) < 2 * _MIN_PART + 2:
            continue
        for cut in range(4, len(word) - 3):
            if word[:cut] in words:
                for link in ("", *LINKING_MORPHEMES):
                    if word.startswith(link, cut):
                        rest = word[cut + len(link) :]
                        if len(rest) >= 4 and rest not in words:
                            heads[rest] += 1
            if word[cut:] in words and word[:cut] not in words:
                modifiers[word[:cut]] += 1
    return {part for part, count in (*heads.items(), *modifiers.items()) if count >= min_count}


# --- synonyms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Synonyms:
    """Curated synonym rules: a phrase (matched by stems) expands to alternative phrases."""

    rules: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    longest: int
    words: frozenset[str]  # words of the expansions (known vocabulary for compounds)
    sources: frozenset[str] = frozenset()  # words of the rules' left sides ("perso")

    def expansions(self, stems: Sequence[str]) -> tuple[tuple[str, ...], ...]:
        return self.rules.get(tuple(stems), ())


def parse_synonyms(lines: Iterable[str]) -> Synonyms:
    """Parse the synonym file format (see ``data/synonyms.txt``).

    ``a, b => c, d`` expands a and b to c and d (one way); ``a, b, c`` makes all three equivalent.
    """
    rules: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    words: set[str] = set()
    sources_words: set[str] = set()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            sources = [tuple(tokenize(phrase)) for phrase in left.split(",")]
            targets = [tuple(tokenize(phrase)) for phrase in right.split(",")]
        else:
            sources = targets = [tuple(tokenize(phrase)) for phrase in line.split(",")]
        sources = [phrase for phrase in sources if phrase]
        targets = [phrase for phrase in targets if phrase]
        for phrase in targets:
            words.update(phrase)
        for source in sources:
            sources_words.update(source)
            key = tuple(stem(token) for token in source)
            for target in targets:
                if target != source and target not in rules[key]:
                    rules[key].append(target)
    frozen = {key: tuple(value) for key, value in rules.items() if value}
    return Synonyms(
        frozen, max((len(key) for key in frozen), default=1), frozenset(words), frozenset(sources_words)
    )


def synonyms_path() -> Path:
    return Path(getattr(settings, "SEARCH_SYNONYMS_FILE", "") or DEFAULT_SYNONYMS_FILE)


# --- index -------------------------------------------------------------------------------------

# field: (weight, length normalisation b)
FIELDS: dict[str, tuple[float, float]] = {
    "name": (3.0, 0.6),
    "keywords": (2.0, 0.5),
    "ozg": (1.2, 0.5),
    "summary": (0.6, 0.75),
    "topic": (0.4, 0.3),
}
COMPOUND_PART_WEIGHT = 0.6  # a part of a compound counts less than the word written on its own
K1 = 1.2
OZG_LINK_BOOST = 1.03
MAIN_ENTRY_BOOST = 1.04  # LeiKa key ...000000: the service itself, not a specific Verrichtung
VERRICHTUNG_BOOST = 1.02  # LeiKa key ...000: a Verrichtung without further detail


@dataclass
class SearchIndex:
    """Precomputed BM25F scores per (term, document) and the vocabulary for completion."""

    stamp: tuple[Any, ...]
    doc_ids: list[int]
    doc_sort: list[tuple[int, int, str]]  # tie-breaking: main entries, shorter names, key
    prior: list[float]
    postings: dict[str, dict[int, float]]
    vocabulary: frozenset[str]  # folded surface words (compound parts and completion)
    surface: list[str]  # sorted vocabulary for prefix completion
    synonyms: Synonyms
    build_seconds: float = 0.0
    _splits: dict[str, list[str] | None] = field(default_factory=dict)

    def split(self, word: str) -> list[str] | None:
        if word not in self._splits:
            if len(self._splits) > 50_000:  # queries are open input: keep the memo bounded
                self._splits.clear()
            self._splits[word] = split_compound(word, self.vocabulary)
        return self._splits[word]

    def completions(self, prefix: str, limit: int = 48) -> list[str]:
        start = bisect.bisect_left(self.surface, prefix)
        stop = bisect.bisect_left(self.surface, prefix + "\U0010ffff")
        words = self.surface[start:stop]
        if len(words) > limit:
            words = sorted(words, key=len)[:limit]
        return words


def _service_rows() -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in Service.objects.values(
            "pk",
            "leika_key",
            "name",
            "keywords",
            "summary",
            "ozg_service_id",
            "ozg_service__name",
            "ozg_service__lebenslage__name",
            "ozg_service__themenfeld__name",
        )
    ]


def build_index(
    rows: Sequence[dict[str, Any]], synonyms: Synonyms, stamp: tuple[Any, ...] = ()
) -> SearchIndex:
    started = time.perf_counter()
    documents: list[dict[str, list[str]]] = []
    vocabulary: set[str] = set(synonyms.words)
    for row in rows:
        fields = {
            "name": tokenize(row["name"] or ""),
            "keywords": tokenize(row["keywords"] or ""),
            "ozg": tokenize(row["ozg_service__name"] or ""),
            "summary": tokenize(row["summary"] or ""),
            "topic": tokenize(
                " ".join(
                    filter(None, (row["ozg_service__lebenslage__name"], row["ozg_service__themenfeld__name"]))
                )
            ),
        }
        documents.append(fields)
        for tokens in fields.values():
            vocabulary.update(token for token in tokens if token not in STOPWORDS)
    vocabulary = {
        word
        for word in vocabulary
        if len(word) >= _MIN_PART and word not in STOPWORDS and word not in NOT_A_PART
    }
    vocab = frozenset(vocabulary | derive_compound_parts(vocabulary))
    splits: dict[str, list[str]] = {}

    def parts_of(word: str) -> list[str]:
        """All parts of a compound, recursively (bewohnerparkausweis → bewohner, parkausweis, park, ...)."""
        if word not in splits:
            splits[word] = []
            found: list[str] = []
            for part in split_compound(word, vocab) or []:
                found.append(part)
                found.extend(parts_of(part))
            splits[word] = found
        return splits[word]

    # Per document and field: weighted term frequencies (compound parts count COMPOUND_PART_WEIGHT).
    lengths: dict[str, list[int]] = {name: [] for name in FIELDS}
    field_tfs: list[dict[str, dict[str, float]]] = []
    for fields in documents:
        per_field: dict[str, dict[str, float]] = {}
        for name, tokens in fields.items():
            tf: dict[str, float] = defaultdict(float)
            content = [token for token in tokens if token not in STOPWORDS]
            for token in content:
                tf[stem(token)] += 1.0
                for part in dict.fromkeys(parts_of(token)):
                    tf[stem(part)] += COMPOUND_PART_WEIGHT
            per_field[name] = tf
            lengths[name].append(len(content))
        field_tfs.append(per_field)
    averages = {
        name: (sum(values) / len(values) if values and sum(values) else 1.0)
        for name, values in lengths.items()
    }

    combined: dict[str, dict[int, float]] = defaultdict(dict)
    for doc, per_field in enumerate(field_tfs):
        weighted: dict[str, float] = defaultdict(float)
        for name, tf in per_field.items():
            weight, b = FIELDS[name]
            norm = 1 - b + b * lengths[name][doc] / averages[name]
            for term, count in tf.items():
                weighted[term] += weight * count / norm
        for term, value in weighted.items():
            combined[term][doc] = value
    total = len(documents)
    postings: dict[str, dict[int, float]] = {}
    for term, docs in combined.items():
        idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
        postings[term] = {doc: idf * value * (K1 + 1) / (value + K1) for doc, value in docs.items()}

    prior: list[float] = []
    doc_sort: list[tuple[int, int, str]] = []
    for row in rows:
        key: str = row["leika_key"]
        boost = OZG_LINK_BOOST if row["ozg_service_id"] else 1.0
        level = 0 if key.endswith("000000") else 1 if key.endswith("000") else 2
        boost *= (MAIN_ENTRY_BOOST, VERRICHTUNG_BOOST, 1.0)[level]
        prior.append(boost)
        doc_sort.append((level, len(row["name"] or ""), key))
    return SearchIndex(
        stamp=stamp,
        doc_ids=[row["pk"] for row in rows],
        doc_sort=doc_sort,
        prior=prior,
        postings=postings,
        vocabulary=vocab,
        surface=sorted(vocab),
        synonyms=synonyms,
        build_seconds=time.perf_counter() - started,
    )


# --- per-process cache ---------------------------------------------------------------------------


class _IndexCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: SearchIndex | None = None
        self.checked_at = -math.inf

    def stamp(self) -> tuple[Any, ...]:
        aggregate = Service.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
        path = synonyms_path()
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            mtime = 0
        return (aggregate["count"], aggregate["latest"], str(path), mtime)

    def get(self) -> SearchIndex:
        index = self.index
        interval = float(getattr(settings, "SEARCH_INDEX_CHECK_SECONDS", 0.0))
        now = time.monotonic()
        if index is not None and now - self.checked_at < interval:
            return index
        stamp = self.stamp()
        if index is not None and index.stamp == stamp:
            self.checked_at = now
            return index
        with self.lock:
            index = self.index
            if index is None or index.stamp != stamp:
                path = synonyms_path()
                lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
                index = build_index(_service_rows(), parse_synonyms(lines), stamp)
                self.index = index
            self.checked_at = now
        return index

    def clear(self) -> None:
        with self.lock:
            self.index = None
            self.checked_at = -math.inf


_cache = _IndexCache()


def search_index() -> SearchIndex:
    """The current index, rebuilt first if the catalogue or the synonym file changed."""
    return _cache.get()


def clear_search_index() -> None:
    _cache.clear()


# --- query -------------------------------------------------------------------------------------

SYNONYM_WEIGHT = 0.9  # the query word is unknown to the catalogue ("Perso"): synonyms carry it
SYNONYM_WEIGHT_KNOWN = 0.75  # the query word is in the catalogue too: its own matches come first
COMPOUND_QUERY_WEIGHT = 0.85
PREFIX_WEIGHT = 0.8
FRAGMENT_WEIGHT = 0.7

TermSet = dict[str, float]  # alternative index terms for one word, with weights
Alternative = tuple[float, list[TermSet]]  # weight, words that should all match
Clause = list[Alternative]  # one concept of the query; the best alternative counts


def _complete(index: SearchIndex, token: str) -> bool:
    """Whether a word is a whole word; a word still being typed ("Hundest") may not be."""
    return token in index.vocabulary or token in index.synonyms.sources or len(token) <= 2


def _word_terms(index: SearchIndex, token: str, *, prefix: bool) -> list[Alternative]:
    """Ways one query word can match: itself, its compound parts, completions if being typed."""
    # A word still being typed may be a fragment whose stem is a guess ("Hundest" → hund).
    terms: TermSet = {stem(token): 1.0 if not prefix or _complete(index, token) else FRAGMENT_WEIGHT}
    if prefix and len(token) >= 2:
        for word in index.completions(token):
            # The closer a completion is to what was typed, the more it counts; rare long words
            # ("Führerscheinhersteller") must not beat the obvious one ("Führerschein").
            terms.setdefault(stem(word), PREFIX_WEIGHT * (len(token) / len(word)) ** 0.5)
    alternatives: list[Alternative] = [(1.0, [terms])]
    parts = index.split(token)
    if parts:
        alternatives.append((COMPOUND_QUERY_WEIGHT, [{stem(part): 1.0} for part in parts]))
    return alternatives


def _phrase_alternative(
    index: SearchIndex, tokens: Sequence[str], weight: float, prefix_last: bool
) -> list[Alternative]:
    """A phrase of several words: the product of each word's alternatives, kept small."""
    combined: list[Alternative] = [(weight, [])]
    for position, token in enumerate(tokens):
        options = _word_terms(index, token, prefix=prefix_last and position == len(tokens) - 1)
        combined = [(w1 * w2, [*sets1, *sets2]) for w1, sets1 in combined for w2, sets2 in options][:4]
    return combined


def parse_query(index: SearchIndex, query: str) -> list[Clause]:
    """The query as clauses (concepts), each with alternatives from synonyms, compounds and completion."""
    tokens = [token for token in tokenize(query) if token not in STOPWORDS]
    meaningful = [token for token in tokens if token not in QUERY_FILLERS]
    if meaningful:
        tokens = meaningful
    typing = bool(query) and not query[-1].isspace()
    stems = [stem(token) for token in tokens]
    if typing and tokens and not _complete(index, tokens[-1]):
        stems[-1] = "\0" + tokens[-1]  # a fragment's "stem" would be a guess; it matches no synonym
    clauses: list[Clause] = []
    position = 0
    while position < len(tokens):
        for size in range(min(index.synonyms.longest, len(tokens) - position), 0, -1):
            expansions = index.synonyms.expansions(stems[position : position + size])
            if expansions or size == 1:
                break
        phrase = tokens[position : position + size]
        last = typing and position + size == len(tokens)
        clause = _phrase_alternative(index, phrase, 1.0, last)
        known = any(stem(token) in index.postings for token in phrase)
        for expansion in expansions:
            weight = SYNONYM_WEIGHT_KNOWN if known else SYNONYM_WEIGHT
            clause.extend(_phrase_alternative(index, expansion, weight, False))
        if clause:
            clauses.append(clause)
        position += size
    return clauses


def _score_clause(index: SearchIndex, clause: Clause) -> dict[int, float]:
    best: dict[int, float] = {}
    postings = index.postings
    for weight, term_sets in clause:
        alternative: dict[int, float] = defaultdict(float)
        for term_set in term_sets:
            word: dict[int, float] = {}
            for term, term_weight in term_set.items():
                for doc, score in postings.get(term, {}).items():
                    value = term_weight * score
                    if value > word.get(doc, 0.0):
                        word[doc] = value
            for doc, value in word.items():
                alternative[doc] += value
        for doc, value in alternative.items():
            value *= weight
            if value > best.get(doc, 0.0):
                best[doc] = value
    return best


def rank(index: SearchIndex, query: str) -> list[int]:
    """Service primary keys matching ``query``, best first."""
    clauses = parse_query(index, query)
    if not clauses:
        return []
    totals: dict[int, float] = defaultdict(float)
    matched: dict[int, int] = defaultdict(int)
    for clause in clauses:
        for doc, value in _score_clause(index, clause).items():
            totals[doc] += value
            matched[doc] += 1
    needed = math.ceil(len(clauses) / 2)
    count = len(clauses)
    # Coordination: a service that matches every concept of the query beats one that matches some.
    scored = [
        (totals[doc] * (matched[doc] / count) ** 2 * index.prior[doc], doc)
        for doc in totals
        if matched[doc] >= needed
    ]
    scored.sort(key=lambda item: (-round(item[0], 6), index.doc_sort[item[1]]))
    return [index.doc_ids[doc] for _, doc in scored]
