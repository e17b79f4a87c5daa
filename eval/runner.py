"""Evaluation runs: a question set asked of a corpus, each answer kept as an Outcome.

Scoring is in eval/metrics.py, the reports in eval/report.py.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from tqdm import tqdm

from eval.metrics import (answer_in_candidates, answer_in_passages, contained, exact, f1, pick_choice, strip_markers,
                          summarise)
from qa.progress import ProgressLog, Reported
from qa.text import nlp
from qa.archive import Archive, embedder_for
from qa.ask.choices import pick
from qa.ask.question import ahead_since
from qa.ask.extractive.ranker import default_abstain_below, load_ranker
from qa.reading import Trace
from qa.ingest.readers import ArticleError, files_under, from_record, read_path
from qa.ingest.embeddings import Embedder
from qa.text.dates import question_time, states_time
from qa.types import Query, Turn
from qa.settings import GENERATORS, Settings
from vectorstore import open_store


RECENT_DAYS = 31  # "in a recent article": a source published at most this many days before the day asked


def default_questions() -> Path:
    """The seed question set, shipped as package data of `eval` (found the same way installed
    or in the source tree)."""
    return Path(str(resources.files("eval").joinpath("seed_questions.jsonl")))


@dataclass
class Item:
    id: str
    question: str
    answers: list[str]
    sources: list[str]
    type: str
    history: list[Turn] = field(default_factory=list)
    as_of: date | None = None
    choices: list[str] = field(default_factory=list)  # multiple-choice options, where the set has them

    def query(self) -> Query:
        return Query(self.question, self.history, self.as_of)


@dataclass
class Outcome:
    id: str
    type: str
    question: str
    standalone: str
    gold: list[str]
    answer: str
    candidate: str | None
    abstained: bool
    confidence: float
    cited: list[str]
    retrieved: list[str]
    sources: list[str]
    em: float
    f1: float
    contained: float
    candidate_em: float
    wrong_year: bool
    timings_ms: dict[str, float]
    choice: str | None = None  # the multiple-choice pick, where the item has choices
    choice_correct: float | None = None
    generator: str = "extractive"  # what wrote the answer
    generated_sentences: int = 0  # sentences a generator wrote (kept and dropped)
    dropped: int = 0  # of those, how many its citations did not support
    # The sources a reader would accept for the question's time: not published after its as-of
    # date nor before the time it names (undated ones count). RealTimeQA's sources are any
    # article containing the answer string, often years older than the week asked about.
    timely_sources: list[str] = field(default_factory=list)
    # Of the sources, the ones published in the month up to the day asked (RECENT_DAYS, _recent): an
    # article of that month's news, not an old one that happens to name the answer. Scored apart
    # ("in a recent article"), these say how the reader does where the news asked about is there.
    recent_sources: list[str] = field(default_factory=list)
    # Whether a gold answer occurs in the passages handed to the answer stage (None when the
    # question has no answer): tells a retrieval miss from a reader miss.
    answer_retrieved: bool | None = None
    # Whether a gold answer is exactly one of the reader's ranked candidates (None where none were
    # ranked, a generator wrote the answer, or the question has no answer): tells a candidate
    # miss from a ranking miss.
    answer_in_candidates: bool | None = None
    as_of: date | None = None  # the day the question was asked, where the set says


def load_questions(path: Path) -> list[Item]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(Item(
                id=str(d["id"]), question=d["question"], answers=list(d.get("answers") or []),
                sources=list(d.get("sources") or []), type=d.get("type") or "factoid",
                history=[Turn(**t) for t in d.get("history") or []],
                as_of=date.fromisoformat(d["as_of"]) if d.get("as_of") else None,
                choices=list(d.get("choices") or []),
            ))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{path} line {n}: not a question record ({exc})") from None
    return items


def load_corpus(path: Path):
    """Drafts from a folder of articles or a corpus.jsonl."""
    if path.is_file() and path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                yield from_record(json.loads(line), f"{path.name} line {n}")
    else:
        for f in files_under([path]):
            yield from read_path(f)


def corpus_key(path: Path) -> str:
    resolved = str(path.resolve())
    return re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:40] + "-" + hashlib.sha1(resolved.encode()).hexdigest()[:8]


def corpus_archive(settings: Settings, corpus: Path, embedder: Embedder | None = None) -> Archive:
    """The archive an eval run keeps for a corpus: one store per corpus and embedding model,
    under the data folder, so reruns and benchmarks reuse what an earlier run built."""
    data = Path(settings.data_dir)
    embedder = embedder or embedder_for(settings)
    # One store per space (model and precision): switching either builds another, never mixes.
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", embedder.space)[-45:]
    store = open_store(settings.store, data / "eval" / corpus_key(corpus) / f"index-{slug}", embedder.dim,
                       space=embedder.space)
    return Archive(settings, store=store, embedder=embedder)


def with_generator(settings: Settings, spec: str) -> Settings:
    """Settings for a generator named as on the command line: 'extractive', 'openai',
    'llm-local' (the configured model) or 'llm-local:MODEL' (a known name or a GGUF path)."""
    kind, _, model = spec.partition(":")
    if kind not in GENERATORS:
        raise ValueError(f"unknown generator {spec!r}: use extractive, llm-local[:MODEL] or openai")
    update: dict = {"generator": kind}
    if model:
        update["llm_model" if kind == "llm-local" else "openai_model"] = model
    return settings.model_copy(update=update)


def sample_items(items: list[Item], n: int, seed: int = 2024) -> list[Item]:
    """A fixed sample: the same n questions on every run and machine, in file order."""
    if n >= len(items):
        return items
    keep = set(random.Random(seed).sample(range(len(items)), n))
    return [x for i, x in enumerate(items) if i in keep]


def evaluate(settings: Settings, corpus: Path, questions: Path, limit: int | None = None,
             progress: bool = True, pipeline: str = "byline", baseline_factory=None,
             sample: int | None = None, log: Callable[[str], None] | None = None,
             held_out_from: date | None = None) -> dict:
    """Score a question set on a corpus. `pipeline` is 'byline', or 'baseline' with
    `baseline_factory(drafts, embedder, settings)` building the comparison pipeline.
    `sample` scores a fixed sample of that many questions instead of all (or the first `limit`).
    `log`, where given, receives plain progress lines (for output that is not a terminal).
    `held_out_from` adds the scores of the questions asked before that day and from it on."""
    embedder = embedder_for(settings)
    t0 = time.perf_counter()
    drafts = list(load_corpus(corpus))
    if log:
        log(f"ingest: {len(drafts)} articles from {corpus} ({pipeline})")
    if pipeline == "byline":
        system = corpus_archive(settings, corpus, embedder)
        todo = Reported(drafts, ProgressLog("ingest", len(drafts), log)) if log else drafts
        report = system.ingest_drafts(todo, progress=progress).summary()
        passages = system.store.count_passages()

        def published(doc_id: str):
            art = system.store.get_article(doc_id)
            return (art.published_start, art.published_end) if art and art.published_start else None
    elif pipeline == "baseline" and baseline_factory is not None:
        system = baseline_factory(drafts, embedder, settings)
        report = f"{system.chunks} chunks, built in memory in {system.build_seconds:.1f} s"
        passages = system.chunks
        published = system.published
    else:
        raise ValueError(f"unknown pipeline {pipeline!r}")
    ingest_s = time.perf_counter() - t0
    if log:
        log(f"ingest: done in {ingest_s:.0f} s: {report}; {passages} passages")
    items = load_questions(questions)[:limit]
    if sample:
        items = sample_items(items, sample)
    if pipeline == "byline":
        system.load_generator()  # not timed as the first question's
    outcomes: list[Outcome] = []
    ranker_on = load_ranker() is not None  # without one the type rules answer and rank nothing
    asking = tqdm(items, desc="questions", disable=not progress)
    if log:
        log(f"questions: {len(items)} to ask")
        asking = ProgressLog("questions", len(items), log).wrap(asking)
    for item in asking:
        trace = Trace()
        answer = system.ask(item.query(), trace=trace)
        pred = "" if answer.abstained else strip_markers(answer.answer)
        unanswerable = not item.answers
        em = float(answer.abstained) if unanswerable else exact(pred, item.answers)
        cited = [c.doc_id for c in answer.citations]
        wrong_year = False
        # The question's own time, whatever the pipeline made of it (the baseline ignores it).
        asked = question_time(answer.standalone_question, item.as_of or settings.reference_date())
        time_range = (asked.start, asked.end) if asked else None
        as_of = item.as_of or settings.reference_date()
        if asked and cited and asked.start > as_of:
            # A time ahead of the asking day: a report of it is too old when it was published
            # longer before that day than the time lies after it.
            known = published(cited[0])
            wrong_year = bool(known and known[1] < ahead_since(asked, as_of))
        elif time_range and cited:
            known = published(cited[0])
            if known and not (known[0] <= time_range[1] and known[1] >= time_range[0]):
                # A later article may answer only from a sentence stating the time: check it
                # does, reading relative dates ('last week') from the article's day.
                quote = answer.citations[0].quote
                dates = [e.text for e in nlp.full()(quote).ents if e.label_ == "DATE"]
                wrong_year = not (any(str(y) in quote for y in range(time_range[0].year, time_range[1].year + 1))
                                  or states_time(dates, asked, known[0] if known[0] == known[1] else None))
        choice = None
        if item.choices and hasattr(system, "choose"):
            # Each option searched for with the question, scored by its best supporting sentence.
            top = pick(item.question, system.choose(item.query(), item.choices))
            choice = top.choice if top else None
        elif item.choices:
            choice = pick_choice(item.choices, trace.support, pred)
        since = None if not asked else (ahead_since(asked, as_of) if asked.start > as_of else asked.start)
        timely = [d for d in item.sources if _timely(published(d), since, item.as_of)]
        recent = [d for d in item.sources if _recent(published(d), item.as_of)]
        outcomes.append(Outcome(
            id=item.id, type=item.type, question=item.question, standalone=answer.standalone_question,
            gold=item.answers, answer=pred, candidate=trace.candidate, abstained=answer.abstained,
            confidence=answer.confidence, cited=cited, retrieved=trace.retrieved, sources=item.sources,
            em=em, f1=(float(answer.abstained) if unanswerable else f1(pred, item.answers)),
            contained=(float(answer.abstained) if unanswerable else contained(pred, item.answers)),
            candidate_em=exact(trace.candidate or "", item.answers) if item.answers else 0.0,
            wrong_year=wrong_year, timings_ms=answer.timings_ms,
            choice=choice, choice_correct=(float(choice is not None and exact(choice, item.answers) == 1.0)
                                           if item.choices else None),
            generator=answer.generator,
            generated_sentences=len(trace.generated.get("kept", [])) + len(trace.generated.get("dropped", [])),
            dropped=len(trace.generated.get("dropped", [])),
            timely_sources=timely, recent_sources=recent,
            answer_retrieved=answer_in_passages(item.answers, trace.passages), as_of=item.as_of,
            # The extractive reader's candidates, and its pick as narrowed; a generator's answer is
            # not the reader's, so its misses are not split.
            answer_in_candidates=answer_in_candidates(
                item.answers, [trace.candidate or "", *(text for text, _ in trace.candidates)],
                ranked=ranker_on and answer.generator == "extractive"),
        ))
    threshold = settings.abstain_below if settings.abstain_below is not None else default_abstain_below()
    result = summarise(outcomes, threshold, held_out_from)
    result["pipeline"] = pipeline
    result["corpus"] = {"path": str(corpus), "articles": len(drafts), "ingest": report,
                        "ingest_seconds": round(ingest_s, 1), "passages": passages}
    result["questions_file"] = str(questions)
    result["settings"] = {"embedding_model": settings.embedding_model, "top_k": settings.top_k,
                          "passage_chars": settings.passage_chars, "abstain_below": threshold,
                          "generator": system.generator if pipeline == "byline" else "extractive"}
    result["outcomes"] = [asdict(o) for o in outcomes]
    if hasattr(system, "close"):
        system.close()
    return result


def _recent(published: tuple[date, date] | None, as_of: date | None) -> bool:
    """Published within RECENT_DAYS up to the day asked, not after it: its whole known span (a day,
    or a month or year where only that is known) in that window. A question without its day
    asked, or an undated article, is never recent."""
    return (published is not None and as_of is not None and published[1] <= as_of
            and (as_of - published[0]).days <= RECENT_DAYS)


def _timely(published: tuple[date, date] | None, since: date | None, as_of: date | None) -> bool:
    if published is None:
        return True
    return not (since and published[1] < since) and not (as_of and published[0] > as_of)


__all__ = ["Item", "Outcome", "evaluate", "load_questions", "load_corpus", "default_questions", "ProgressLog",
           "ArticleError"]
