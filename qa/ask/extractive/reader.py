"""The learned reader: candidate answers from the best sentences of several articles, each
described by features and ranked by a model learned from data (`byline reader train`).

Candidates are the stored named entities of those sentences (figures keep their currency; a
hedged figure is also a candidate bare, and an amount of time without the word that places it,
bare_forms()), quoted phrases, runs of capitalised words, common-noun phrases where the question asks for a
thing of an open kind (chunks.py), and the span the type rules cut (extract()). Where the
question names the kind it wants ("which sport", "which comedian"), each candidate's semantic
fit to that kind, and its entity class's, are features (typefit.py). The ranking model and the
calibration of its score into a confidence are in ranker.py.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from qa.ask.extractive import extract
from qa.ask.extractive.chunks import noun_phrases
from qa.ask.extractive.ranker import RULES_ABSTAIN_BELOW, Ranker, answerable, coverage, load_ranker
from qa.ask.extractive.typefit import PhraseVectors, asked_kind, similarities
from qa.ask.extractive.scoring import Weights, mentions_question, proximity, question_hits
from qa.reading import Extracted, Sentence
from qa.ask.extractive.entities import asked_title, holds_title, is_modifier, placed_amount, time_fits
from qa.ask.extractive.spans import FIGURES, with_currency
from qa.ask.question import DURATION, QuestionInfo
from qa.types import Span
from qa.text.dates import names_a_time
from qa.text.tokens import STOP_WORDS, stems_match, tokens

TOP_SENTENCES = 25  # candidate sentences read per question
KIND_TEXTS = 16  # distinct candidate texts, best first, whose fit to the kind asked for is measured
WH_CLASSES = ("who", "when", "where", "how many", "how much", "which", "what", "other")
LABEL_CLASSES = {"PERSON": "person", "ORG": "org", "NORP": "norp", "GPE": "place", "LOC": "place",
                 "FAC": "place", "DATE": "date", "TIME": "date", "CARDINAL": "number", "QUANTITY": "number",
                 "MONEY": "money", "PERCENT": "percent", "ORDINAL": "ordinal", "WORK_OF_ART": "title",
                 "EVENT": "event", "PRODUCT": "product", "LAW": "title", "QUOTE": "quote", "CAPS": "caps",
                 "RULE": "rule", "CHUNK": "chunk"}
_QUOTED = re.compile(r"(?:[\"“‘]|(?<!\w)')([^\"“”‘’']{2,80})[\"”’']")  # "Iran's ... Iraq's" is no quote
_CAPS = re.compile(r"\b[A-Z][\w'’.&-]*(?:\s+(?:of|the|de|la|du|van|von|and|for|&)?\s*[A-Z][\w'’.&-]*)*")
_GENERIC = {"the", "this", "that", "it", "he", "she", "they", "we", "i", "you", "one", "today", "monday", "tuesday",
            "wednesday", "thursday", "friday", "saturday", "sunday", "week", "year", "month"}


@dataclass
class Candidate:
    start: int  # offsets into the article text
    end: int
    text: str
    label: str
    sentence: Sentence
    sentence_rank: int
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


def wh_class(info: QuestionInfo) -> str:
    return info.wh if info.wh in WH_CLASSES else ("which" if info.wh == "whose" else "other")


def fold(text: str) -> str:
    """Lower case, quotes and dashes folded, punctuation and articles dropped: how two
    mentions of the same answer are compared."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def candidates(info: QuestionInfo, sentences: list[Sentence], rule: Extracted | None) -> list[Candidate]:
    out: dict[tuple[str, int, int], Candidate] = {}

    def add(sent: Sentence, rank: int, start: int, end: int, label: str) -> None:
        text = sent.article_text[start:end].strip(" ,.;:")
        if not text or len(text) > 120:
            return
        start = sent.article_text.index(text, start)
        key = (sent.passage.doc_id, start, start + len(text))
        if key not in out:
            out[key] = Candidate(start, start + len(text), text, label, sent, rank)

    for rank, sent in enumerate(sentences[:TOP_SENTENCES]):
        base = sent.span.start
        for ent in sent.entities:
            start, end, label = ent.start, ent.end, ent.label
            if label in FIGURES:
                start, end, money = with_currency(sent.article_text, start, end)
                label = "MONEY" if money else label
            add(sent, rank, start, end, label)
            for bare_start, bare_end in bare_forms(sent.article_text, start, end, label):
                add(sent, rank, bare_start, bare_end, label)
        for m in _QUOTED.finditer(sent.text):
            add(sent, rank, base + m.start(1), base + m.end(1), "QUOTE")
        for m in _CAPS.finditer(sent.text):
            if m.start() > 0 and len(m[0]) > 2:  # a sentence's first word is capitalised anyway
                add(sent, rank, base + m.start(), base + m.end(), "CAPS")
    if not info.labels and info.wh in ("what", "which"):
        for i, start, end in noun_phrases(sentences):
            # A phrase inside a named entity is that entity ("last year" of "last year's"), a
            # candidate already, with its class.
            if not any(e.start <= start and end <= e.end for e in sentences[i].entities):
                add(sentences[i], i, start, end, "CHUNK")
    if rule is not None:
        rank = next((i for i, s in enumerate(sentences) if s.span == rule.sentence.span
                     and s.passage.doc_id == rule.sentence.passage.doc_id), TOP_SENTENCES)
        key = (rule.sentence.passage.doc_id, rule.start, rule.end)
        marks = {"rule": 1.0, f"rule_kind={rule.kind}": 1.0, "rule_support": min(rule.score, 1.5)}
        if key in out:
            out[key].features.update(marks)
        else:
            out[key] = Candidate(rule.start, rule.end, rule.text, "RULE", rule.sentence, rank, dict(marks))
    return list(out.values())


_FIGURE_START = re.compile(r"[$€£¥₹₽₩₪]|\d")
_HEDGE = re.compile(r"(?:[a-z]+\s+)+")  # "nearly ", "no more than ", "a record ": lower-case words only
_SIGN_WORDS = {"minus", "negative", "between", "from"}  # words a figure means nothing without
_RUN_ON_DASH = re.compile(r"\s+(?:[―—–]|--?)\s+(?=[a-z])")  # "8 a.m. ― an hour": a clause follows


def bare_forms(text: str, start: int, end: int, label: str) -> list[tuple[int, int]]:
    """Shorter spans of an entity that may be the answer itself: the part before a spaced dash
    followed by a lower-case clause, where the tagger ran an entity on ("8 a.m. ― an hour"), and
    a figure in digits without the lower-case words that hedge it ("nearly $200 million" →
    "$200 million"; a currency code stays, and so does "minus" or "between"), and an amount of
    time without the word that places it ("six days later" → "six days", for "how many days")."""
    out = []
    if m := _RUN_ON_DASH.search(text, start, end):
        end = m.start()
        out.append((start, end))
    if label in ("DATE", "TIME") and (cut := placed_amount(text[start:end])):
        out.append((start, start + cut))
    span = text[start:end]
    if label in FIGURES | {"PERCENT"} and (m := _FIGURE_START.search(span)) and m.start() \
            and _HEDGE.fullmatch(span[: m.start()]) and not _SIGN_WORDS & set(span[: m.start()].split()):
        out.append((start + m.start(), end))
    return out


def describe(info: QuestionInfo, found: list[Candidate], weights: Weights, reference: date) -> None:
    """Fill each candidate's features: type fit, support, nearness, redundancy, penalties."""
    wh = wh_class(info)
    mentions: dict[str, set[str]] = {}  # folded text → the articles whose top sentences hold it
    support: dict[str, float] = {}  # folded text → the summed support of the top sentences holding it
    hits: dict[int, list[tuple[str, int, int]]] = {}
    sentences = {id(c.sentence): c.sentence for c in found}
    folded_sentences = [(fold(s.text), s.passage.doc_id, s.score) for s in sentences.values()]
    top_support = max((s.score for s in sentences.values()), default=0.0) or 1.0
    top_passage = max((s.passage.score for s in sentences.values()), default=0.0) or 1.0
    total_weight = sum(weights.values()) or 1.0
    q_stems = [t.stem for t in info.terms]
    forms = _forms(found)
    names = [k for k in dict.fromkeys(_name_key(n) for n in info.proper) if k]
    held: dict[tuple[str, int], float] = {}  # (article, passage or -1 for the whole) → share of names held
    title = asked_title(info) if "PERSON" in info.labels else set()
    for c in found:
        key = fold(c.text)
        if key not in mentions:
            holding = [(doc, score) for text, doc, score in folded_sentences if key and f" {key} " in f" {text} "]
            mentions[key] = {doc for doc, _ in holding}
            support[key] = sum(score for _, score in holding)
        words = [w for w, _, _ in tokens(c.text)]
        label = LABEL_CLASSES.get(c.label, "other")
        f = c.features
        f[f"wh={wh}|label={label}"] = 1.0
        f["label_fits"] = float(bool(info.labels) and c.label in info.labels and time_fits(info, c.label, c.text))
        f["open_question"] = float(not info.labels)
        f["sentence_support"] = c.sentence.score
        f["sentence_rank"] = 1.0 / (1 + c.sentence_rank)
        f["passage_tier_undated"] = float(c.sentence.passage.tier == 1)
        f["passage_tier_later"] = float(c.sentence.passage.tier == 2)
        if id(c.sentence) not in hits:  # a sentence's question words, matched once for all its candidates
            hits[id(c.sentence)] = question_hits(c.sentence, weights)
        f["proximity"] = proximity(c.sentence, c.start, c.end, weights, hits[id(c.sentence)])
        f["window_coverage"] = _window_coverage(c, hits[id(c.sentence)], weights, total_weight)
        f["articles_holding"] = math.log1p(len(mentions[key]))
        f["support_holding"] = math.log1p(support[key])
        f["sentence_support_share"] = c.sentence.score / top_support
        f["mentions_log"], f["has_longer_form"], f["shorter_forms"] = forms[key]
        f["passage_score_share"] = c.sentence.passage.score / top_passage
        f["names_in_passage"], f["names_in_article"] = _names_held(c, names, held)
        f["repeats_question"] = float(mentions_question(c.text, info))
        f["question_word_share"] = (sum(any(stems_match(w, q) for q in q_stems) for w in words) / len(words)
                                    if words else 1.0)
        f["generic"] = float(key in _GENERIC or all(w in STOP_WORDS for w in key.split()))
        f["tokens_1"] = float(len(words) == 1)
        f["tokens_4plus"] = float(len(words) >= 4)
        f["has_digit"] = float(any(ch.isdigit() for ch in c.text))
        f["focus_adjacent"] = float(_next_to_focus(c, info))
        f["holds_title"] = float(bool(title) and c.label == "PERSON"
                                 and holds_title(c.sentence, Span(c.start, c.end), info, title))
        f["in_time_phrase"] = float(bool(info.time and info.time.phrase and key
                                         and f" {key} " in f" {fold(info.time.phrase)} "))
        f["date_names_time"] = float(c.label in ("DATE", "TIME") and names_a_time(c.text))
        f["demonym_describes"] = float(c.label == "NORP" and is_modifier(c.sentence.article_text, c.end))
        pub = c.sentence.passage.article.published
        age = (reference - pub.end).days if pub else None
        f["published_this_week"] = float(age is not None and 0 <= age <= 8)
        f["published_this_month"] = float(age is not None and 0 <= age <= 35)
        f.setdefault("rule", 0.0)
        several = bool(re.search(r",|\band\b|&", c.text))
        f["list_question"] = float(info.is_list)
        f["list_question_rule"] = float(info.is_list and f["rule"] > 0)
        f["list_question_several"] = float(info.is_list and several)


@lru_cache(maxsize=512)  # an article's text is folded once, not once per question that reads it
def _name_key(text: str) -> str:
    """A name as compared: folded, with the dots of an abbreviation dropped ("U.S." is "US")."""
    return fold(re.sub(r"(?<=\b\w)\.", "", text))


def _names_held(c: Candidate, names: list[str], held: dict) -> tuple[float, float]:
    """The share of the proper names the question holds ("the capital of Australia") that the
    candidate's passage, and its article, write: an answer is found where its subject is, and an
    archive that never names the subject answers nothing about it. Missing (NaN) where the
    question names nothing."""
    if not names:
        return math.nan, math.nan
    where = c.sentence.passage
    for key, text in (((where.doc_id, where.passage_id), where.text), ((where.doc_id, -1), where.article.text)):
        if key not in held:  # each passage and each article read once per question
            written = f" {_name_key(text)} "
            held[key] = sum(f" {n} " in written for n in names) / len(names)
    return held[(where.doc_id, where.passage_id)], held[(where.doc_id, -1)]


def _forms(found: list[Candidate]) -> dict[str, tuple[float, float, float]]:
    """Per folded text: the log of how many candidates write it, whether a longer candidate holds
    it as whole words ("Biden" in "Joe Biden": the short form of a name written whole nearby),
    and how many shorter ones it holds."""
    counts = Counter(fold(c.text) for c in found)
    keys = [k for k in counts if k]
    out = {"": (0.0, 0.0, 0.0)}
    for k in keys:
        longer = any(o != k and len(o.split()) <= 6 and f" {k} " in f" {o} " for o in keys)
        shorter = sum(1 for o in keys if o != k and f" {o} " in f" {k} ")
        out[k] = (math.log(counts[k]), float(longer), math.log1p(shorter))
    return out


WINDOW_CHARS = 80  # "near the candidate": about a dozen words either side


def _window_coverage(c: Candidate, hits: list[tuple[str, int, int]], weights: Weights, total: float) -> float:
    """The share of the question's weight written near the candidate, outside it: the words
    around an answer in a news sentence are those of the question it answers."""
    near = {q for q, s, e in hits if not (s >= c.start and e <= c.end)
            and c.start - WINDOW_CHARS <= s and e <= c.end + WINDOW_CHARS}
    return sum(weights[q] for q in near) / total


def _next_to_focus(c: Candidate, info: QuestionInfo) -> bool:
    """The question's focus noun written right beside the candidate ("storm Henk", "Henk, the storm")."""
    if not info.focus:
        return False
    text = c.sentence.article_text
    around = tokens(text[max(c.sentence.span.start, c.start - 30): c.start]) [-2:] + \
        tokens(text[c.end: min(c.sentence.span.end, c.end + 30)])[:2]
    return any(stems_match(w, info.focus) for w, _, _ in around) or any(
        stems_match(w, info.focus) for w, _, _ in tokens(c.text))


@dataclass
class Read:
    """What the reader settled on: the answer span, how sure it is (the ranker's calibrated
    probability, or the rules' support where no ranker was trained; unrounded, as the threshold
    was chosen on), the threshold that confidence is held to, and every candidate, best first."""

    found: Extracted | None
    confidence: float
    abstain_below: float
    candidates: list[Candidate]


def read(info: QuestionInfo, sentences: list[Sentence], weights: Weights, reference: date,
         describe_all: bool = False, vectors: PhraseVectors | None = None) -> Read:
    """The type rules' span, then, where a ranker was trained, the best-ranked candidate.
    `describe_all` (training): every candidate described and none ranked by an earlier model,
    so that what is learned never depends on what was learned before."""
    rule = extract(info, sentences, weights)
    ranker = None if describe_all else load_ranker()
    ranked = rank(info, sentences, weights, rule, ranker, reference, vectors) if ranker or describe_all else []
    if ranker and ranked:
        best = ranked[0]
        covered = coverage([c.features for c in ranked])
        # No article read writes a name the question asks about ("the capital of Australia" over
        # articles on Iraq): nothing read is about its subject, whatever the score. On the training
        # quarters such questions' best candidate, ranked by the shipped trees, was right 4 times in 221.
        if not answerable(covered):
            return Read(None, 0.0, ranker.abstain_below, ranked)
        return Read(narrowed(info, as_extracted(best, rule)), ranker.probability(best.score, covered),
                    ranker.abstain_below, ranked)
    confidence = min(max(rule.score, 0.0), 1.0) if rule else 0.0
    return Read(narrowed(info, rule), confidence, ranker.abstain_below if ranker else RULES_ABSTAIN_BELOW, ranked)


def narrowed(info: QuestionInfo, found: Extracted | None) -> Extracted | None:
    """The part of the chosen span that answers what the question asks for: the years of an
    age for "how old", the amount of time for "how long" or "how many days" ("six days" of "six
    days later"; "three years ago" stays whole for "how long ago"). Still a slice of the
    sentence it cites."""
    found = age_in_years(info, found)
    if found is None or info.labels != DURATION or info.wh == "how far" or not (cut := placed_amount(found.text)):
        return found
    placing = found.text[cut:].split()[0].strip(".,;:").lower()
    if re.search(rf"\b{placing}\b", info.text, re.I):
        return found  # "How long ago …?": "three years ago" answers it as asked
    return _slice(found, found.start, found.start + cut)


def _slice(found: Extracted, start: int, end: int) -> Extracted:
    """Part of an answer span, cut from the article text at these offsets."""
    return Extracted(found.sentence, start, end, found.sentence.article_text[start:end], found.score, found.kind)


# An age as news writes it: "37-year-old", "63 years old", "aged 63", "age 63".
_AGE = re.compile(r"(?:the\s+|aged?\s+)?(\d{1,3})(?:[\s-]+years?[\s-]+old)?", re.I)


def age_in_years(info: QuestionInfo, found: Extracted | None) -> Extracted | None:
    """For "how old", the number of years an age span writes ("37" of "the 37-year-old"),
    still a slice of the sentence it cites: the words around it only say it is an age."""
    if found is None or info.wh != "how old":
        return found
    m = _AGE.fullmatch(found.text.strip())
    if m is None or m.group(0) == m.group(1):
        return found
    start = found.start + found.text.index(found.text.strip()) + m.start(1)
    return _slice(found, start, start + len(m.group(1)))


def rank(info: QuestionInfo, sentences: list[Sentence], weights: Weights, rule: Extracted | None,
         ranker: Ranker | None, reference: date, vectors: PhraseVectors | None = None) -> list[Candidate]:
    """The candidates, best first, by the ranker's scores (by sentence order where none is given:
    training).

    The kind asked for is weighed in a second pass, over the best few texts of the first:
    embedding every candidate would cost more than the rest of the question together. In
    training (no ranker) every text is weighed; serving gives a text it did not weigh the lowest
    fit it measured, a small difference from training, confined to candidates ranked low already."""
    found = candidates(info, sentences, rule)
    describe(info, found, weights, reference)
    _score(found, ranker)
    kind = asked_kind(info) if vectors is not None else None
    if kind and found:
        texts = list(dict.fromkeys(c.text for c in found))[:KIND_TEXTS if ranker is not None else None]
        fit = dict(zip(texts, similarities(kind, texts, vectors)))
        top, low = max(fit.values()), min(fit.values())
        # The best fit among the texts that could answer: "the disease" repeats "which disease",
        # so "measles" is measured against the other candidates, not against the question's word.
        answering = [fit[c.text] for c in found if c.text in fit and not c.features["repeats_question"]]
        top_answering = max(answering, default=top)
        labels = label_fit(kind, vectors)
        best_label = max(labels.values())
        for c in found:  # one not measured fits no better than the least fitting that was
            c.features["kind_similarity"] = fit.get(c.text, low)
            c.features["kind_similarity_gap"] = fit.get(c.text, low) - top
            c.features["kind_best_gap"] = fit.get(c.text, low) - top_answering
            label = LABEL_CLASSES.get(c.label)
            # A candidate of no entity class (a quote, a capitalised run, a noun phrase) is missing
            # here, as the trees see it: a 0 would read as the best-fitting class.
            c.features["kind_label_fit"] = labels[label] if label in labels else math.nan
            c.features["kind_label_gap"] = labels[label] - best_label if label in labels else math.nan
        _score(found, ranker)
    return found


# What each entity class is, in words the embedder knows: "which comedian" lies nearer "a person"
# than "a company", "which film" nearer "the title of a film", though no list names comedians.
LABEL_WORDS = {"person": "a person, someone", "org": "a company or organization",
               "norp": "a nationality or religious group", "place": "a country, city or place",
               "date": "a date or time", "number": "a number or count", "money": "an amount of money",
               "percent": "a percentage", "ordinal": "a rank, first or second",
               "title": "the title of a film, book or song", "event": "an event",
               "product": "a product, vehicle or device"}


def label_fit(kind: str, vectors: PhraseVectors) -> dict[str, float]:
    """The kind asked for's cosine with each entity class's word."""
    return dict(zip(LABEL_WORDS, similarities(kind, list(LABEL_WORDS.values()), vectors)))


def _score(found: list[Candidate], ranker: Ranker | None) -> None:
    """Score and sort: by the ranker, or, with none yet, by sentence order (training)."""
    if ranker is not None:
        for c, score in zip(found, ranker.scores([c.features for c in found])):
            c.score = float(score)
        found.sort(key=lambda c: -c.score)
    else:
        found.sort(key=lambda c: c.sentence_rank)


def as_extracted(c: Candidate, rule: Extracted | None) -> Extracted:
    """The chosen candidate as an answer. Its score is a support, on the type rules' scale (the
    threshold reads the learned probability, Read.confidence): the rules' own score where they
    chose the same span, else the sentence's support weighed by how near the span lies to the
    question's words."""
    if rule is not None and (rule.start, rule.end, rule.sentence.passage.doc_id) == \
            (c.start, c.end, c.sentence.passage.doc_id):
        return rule
    return Extracted(c.sentence, c.start, c.end, c.text, c.sentence.score * (0.55 + 0.45 * c.features["proximity"]))
