"""Evaluation: run a question set against a corpus and score answers, citations and retrieval.

Scores follow SQuAD: exact match and token F1 after normalisation (lower case, no
punctuation, no articles, whitespace collapsed), with Unicode quotes and dashes folded
first, since news text writes "Iraq’s". An unanswerable question (no gold answers) counts
as exact when Byline abstains.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
import statistics
import string
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from tqdm import tqdm

from qa.text import nlp
from qa.archive import Archive
from qa.ask.service import Trace
from qa.ingest.readers import ArticleError, files_under, from_record, read_path
from qa.ingest.embeddings import Embedder, EmbeddingCache
from qa.text.dates import question_time, states_time
from qa.types import Turn
from qa.text.tokens import STOP_WORDS, stem
from qa.settings import GENERATORS, Settings
from vectorstore import FaissStore

_FOLD = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"',
                       "–": "-", "—": "-", "‐": "-", "‑": "-"})
_MARKERS = re.compile(r"\s*\[\d+\]")
_PUNCT = set(string.punctuation)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def strip_markers(answer: str) -> str:
    return _MARKERS.sub("", answer).strip()


def exact(pred: str, golds: list[str]) -> float:
    p = normalize(pred)
    return float(any(p == normalize(g) for g in golds))


def f1(pred: str, golds: list[str]) -> float:
    best = 0.0
    p = normalize(pred).split()
    for g in golds:
        gt = normalize(g).split()
        common = Counter(p) & Counter(gt)
        same = sum(common.values())
        if same == 0 or not p or not gt:
            continue
        prec, rec = same / len(p), same / len(gt)
        best = max(best, 2 * prec * rec / (prec + rec))
    return best


def contained(pred: str, golds: list[str]) -> float:
    p = normalize(pred)
    return float(any(normalize(g) and normalize(g) in p for g in golds))


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
    if embedder is None:
        embedder = Embedder(settings.embedding_model, EmbeddingCache(data / "embeddings.sqlite"),
                            settings.embedding_batch_size)
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", settings.embedding_model)[-40:]
    store = FaissStore(data / "eval" / corpus_key(corpus) / f"index-{slug}", embedder.dim,
                       space=settings.embedding_model)
    return Archive(settings, store=store, embedder=embedder)


def pick_choice(choices: list[str], support: list[tuple[str, float]], answer: str) -> str | None:
    """The multiple-choice option best supported by what was retrieved.

    Each option scores, over the best retrieved sentences, the highest product of the
    sentence's support for the question and the share of the option's content words (stems,
    stop words left out) that the sentence contains; an option written whole in the sentence
    gets its words' full share. Ties go to the option found in the extracted answer. None when
    no option is supported at all: the caller counts that as wrong, not as a guess."""
    def words(text: str) -> list[str]:
        return [stem(w) for w in re.findall(r"[^\W_]+", text.lower()) if w not in STOP_WORDS] or \
            [stem(w) for w in re.findall(r"[^\W_]+", text.lower())]

    norm_answer = normalize(answer)
    best: tuple[float, float, str] | None = None
    for choice in choices:
        cw = words(choice)
        if not cw:
            continue
        score = 0.0
        for text, support_score in support:
            sw = set(words(text))
            share = sum(1 for w in cw if w in sw) / len(cw)
            score = max(score, support_score * share)
        tie = float(bool(norm_answer) and normalize(choice) in norm_answer)
        key = (round(score, 6), tie, choice)
        if score > 0 and (best is None or key[:2] > best[:2]):
            best = key
    return best[2] if best else None


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
             sample: int | None = None) -> dict:
    """Score a question set on a corpus. `pipeline` is 'byline', or 'baseline' with
    `baseline_factory(drafts, embedder, today, abstain_below)` building the comparison pipeline.
    `sample` scores a fixed sample of that many questions instead of all (or the first `limit`)."""
    data = Path(settings.data_dir)
    embedder = Embedder(settings.embedding_model, EmbeddingCache(data / "embeddings.sqlite"),
                        settings.embedding_batch_size)
    t0 = time.perf_counter()
    drafts = list(load_corpus(corpus))
    if pipeline == "byline":
        system = corpus_archive(settings, corpus, embedder)
        report = system.ingest_drafts(drafts, progress=progress).summary()
        passages = system.store.count_passages()

        def published(doc_id: str):
            art = system.store.get_article(doc_id)
            return (art.published_start, art.published_end) if art and art.published_start else None
    elif pipeline == "baseline" and baseline_factory is not None:
        system = baseline_factory(drafts, embedder, settings.reference_date(), settings.abstain_below)
        report = f"{system.chunks} chunks, built in memory in {system.build_seconds:.1f} s"
        passages = system.chunks
        published = system.published
    else:
        raise ValueError(f"unknown pipeline {pipeline!r}")
    ingest_s = time.perf_counter() - t0
    items = load_questions(questions)[:limit]
    if sample:
        items = sample_items(items, sample)
    if pipeline == "byline":
        system.load_generator()  # not timed as the first question's
    outcomes: list[Outcome] = []
    for item in tqdm(items, desc="questions", disable=not progress):
        trace = Trace()
        answer = system.ask(item.question, item.history, item.as_of, trace=trace)
        pred = "" if answer.abstained else strip_markers(answer.answer)
        unanswerable = not item.answers
        em = float(answer.abstained) if unanswerable else exact(pred, item.answers)
        cited = [c.doc_id for c in answer.citations]
        wrong_year = False
        # The question's own time, whatever the pipeline made of it (the baseline ignores it).
        asked = question_time(answer.standalone_question, item.as_of or settings.reference_date())
        time_range = (asked.start, asked.end) if asked else None
        if time_range and cited:
            known = published(cited[0])
            if known and not (known[0] <= time_range[1] and known[1] >= time_range[0]):
                # A later article may answer only from a sentence stating the time: check it
                # does, reading relative dates ('last week') from the article's day.
                quote = answer.citations[0].quote
                dates = [e.text for e in nlp.full()(quote).ents if e.label_ == "DATE"]
                wrong_year = not (any(str(y) in quote for y in range(time_range[0].year, time_range[1].year + 1))
                                  or states_time(dates, asked, known[0] if known[0] == known[1] else None))
        choice = pick_choice(item.choices, trace.support, pred) if item.choices else None
        timely = [d for d in item.sources
                  if _timely(published(d), asked.start if asked else None, item.as_of)]
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
            timely_sources=timely,
        ))
    result = summarise(outcomes, settings.abstain_below)
    result["pipeline"] = pipeline
    result["corpus"] = {"path": str(corpus), "articles": len(drafts), "ingest": report,
                        "ingest_seconds": round(ingest_s, 1), "passages": passages}
    result["questions_file"] = str(questions)
    result["settings"] = {"embedding_model": settings.embedding_model, "top_k": settings.top_k,
                          "passage_chars": settings.passage_chars, "abstain_below": settings.abstain_below,
                          "generator": system.generator if pipeline == "byline" else "extractive"}
    result["outcomes"] = [asdict(o) for o in outcomes]
    if hasattr(system, "close"):
        system.close()
    return result


def _timely(published: tuple[date, date] | None, since: date | None, as_of: date | None) -> bool:
    if published is None:
        return True
    return not (since and published[1] < since) and not (as_of and published[0] > as_of)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


def scores(outcomes: list[Outcome]) -> dict:
    answerable = [o for o in outcomes if o.gold]
    unanswerable = [o for o in outcomes if not o.gold]
    answered = [o for o in answerable if not o.abstained]
    with_sources = [o for o in answered if o.sources]
    retr = [o for o in answerable if o.sources]
    mrr = []
    for o in retr:
        rank = next((i for i, d in enumerate(o.retrieved, 1) if d in o.sources), None)
        mrr.append(1.0 / rank if rank else 0.0)
    mean = lambda xs: round(statistics.fmean(xs), 3) if xs else None  # noqa: E731
    return {
        "n": len(outcomes),
        "exact_match": mean([o.em for o in outcomes]),
        "f1": mean([o.f1 for o in outcomes]),
        "answer_contained": mean([o.contained for o in outcomes]),
        "exact_match_answerable": mean([o.em for o in answerable]),
        "f1_answerable": mean([o.f1 for o in answerable]),
        "citation_accuracy": mean([float(any(c in o.sources for c in o.cited)) for o in with_sources]),
        "retrieval_recall_at_k": mean([float(any(d in o.sources for d in o.retrieved)) for o in retr]),
        "mrr": mean(mrr),
        # Recall over the questions with a source from the right time, counting only those.
        "retrieval_recall_timely": mean([float(any(d in o.timely_sources for d in o.retrieved))
                                         for o in retr if o.timely_sources]),
        "abstention_accuracy_unanswerable": mean([float(o.abstained) for o in unanswerable]),
        "answered_share": mean([float(not o.abstained) for o in outcomes]),
        "wrong_year_answers": sum(o.wrong_year for o in outcomes),
        "multiple_choice_accuracy": mean([o.choice_correct for o in outcomes if o.choice_correct is not None]),
        # Generated answers: how often the generator's text was shown (not the extractive
        # stand-in), and how often every sentence it wrote was supported by its citation.
        "generated_share": mean([float(o.generator != "extractive") for o in outcomes]),
        "supported_share": mean([float(o.dropped == 0) for o in outcomes if o.generated_sentences]),
    }


def recall_curve(outcomes: list[Outcome], k_max: int = 20) -> list[float | None]:
    """Recall@k for k = 1..k_max over the articles retrieved, in rank order."""
    retr = [o for o in outcomes if o.gold and o.sources]
    if not retr:
        return []
    return [round(statistics.fmean(float(any(d in o.sources for d in o.retrieved[:k])) for o in retr), 3)
            for k in range(1, k_max + 1)]


def threshold_table(outcomes: list[Outcome]) -> list[dict]:
    """What each abstention threshold would give: both sides of the choice."""
    rows = []
    for t in [i / 20 for i in range(0, 20)]:
        answered = [o for o in outcomes if o.candidate and o.confidence >= t]
        abstained = [o for o in outcomes if not (o.candidate and o.confidence >= t)]
        right_answers = [o for o in answered if o.gold and o.candidate_em]
        right_abstentions = [o for o in abstained if not o.gold or not o.candidate_em]
        rows.append({
            "threshold": t,
            "answered": len(answered),
            "accuracy_of_answered": round(len(right_answers) / len(answered), 3) if answered else None,
            "abstained": len(abstained),
            "accuracy_of_abstentions": round(len(right_abstentions) / len(abstained), 3) if abstained else None,
            "overall": round((len(right_answers) + sum(1 for o in abstained if not o.gold)) / len(outcomes), 3)
            if outcomes else None,
        })
    return rows


def summarise(outcomes: list[Outcome], threshold: float) -> dict:
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_type[o.type].append(o)
    # Over the questions that went through the stage: a question answered without the model
    # has no first token, and counting it as 0 ms would flatter the model.
    latency = {stage: {"p50": _pct([o.timings_ms[stage] for o in outcomes if stage in o.timings_ms], 0.5),
                       "p95": _pct([o.timings_ms[stage] for o in outcomes if stage in o.timings_ms], 0.95)}
               for stage in ("rewrite", "retrieve", "answer", "first_token", "first_sentence", "generate", "total")
               if any(stage in o.timings_ms for o in outcomes)}
    answered = [o for o in outcomes if not o.abstained]
    abstained = [o for o in outcomes if o.abstained]
    in_corpus = [o for o in outcomes if o.sources or not o.gold]
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        "overall": scores(outcomes),
        # Questions whose answer some corpus article states (or that have none to give).
        "answer_in_corpus": scores(in_corpus) if len(in_corpus) < len(outcomes) else None,
        "recall_curve": recall_curve(outcomes),
        "by_type": {t: scores(os) for t, os in sorted(by_type.items())},
        "abstention": {
            "threshold": threshold,
            "accuracy_of_answered": round(statistics.fmean([o.em for o in answered]), 3) if answered else None,
            "accuracy_of_abstentions": round(statistics.fmean(
                [float(not o.gold or not o.candidate_em) for o in abstained]), 3) if abstained else None,
            "sweep": threshold_table(outcomes),
        },
        "latency_ms": latency,
    }


def markdown(result: dict) -> str:
    o = result["overall"]
    lines = [f"# Byline eval — {Path(result['questions_file']).name}", "",
             f"Run {result['when']}; corpus `{result['corpus']['path']}` "
             f"({result['corpus']['articles']} articles, {result['corpus']['passages']} passages); "
             f"settings {result['settings']}; pipeline `{result.get('pipeline', 'byline')}`.", ""]
    if result.get("answer_in_corpus"):
        c = result["answer_in_corpus"]
        lines += ["| metric | all questions | answer in corpus |", "|---|---|---|"]
        lines += [f"| {k} | {v} | {c.get(k)} |" for k, v in o.items()]
    else:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in o.items()]
    if result.get("recall_curve"):
        lines += ["", "Recall@k over retrieved articles: " + ", ".join(
            f"@{k}: {v}" for k, v in enumerate(result["recall_curve"], 1) if v is not None) + "."]
    lines += ["", "## By question type", "",
              "| type | n | EM | F1 | contained | citation acc. | recall@k | MRR | abstention acc. |",
              "|---|---|---|---|---|---|---|---|---|"]
    for t, s in result["by_type"].items():
        lines.append(f"| {t} | {s['n']} | {s['exact_match']} | {s['f1']} | {s['answer_contained']} | "
                     f"{s['citation_accuracy']} | {s['retrieval_recall_at_k']} | {s['mrr']} | "
                     f"{s['abstention_accuracy_unanswerable']} |")
    a = result["abstention"]
    lines += ["", f"## Abstention (threshold {a['threshold']})", "",
              f"Accuracy of the answered: {a['accuracy_of_answered']}; accuracy of the abstentions "
              f"(unanswerable, or the answer withheld was wrong): {a['accuracy_of_abstentions']}.", "",
              "| threshold | answered | accuracy of answered | abstained | accuracy of abstentions | overall |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['threshold']:.2f} | {r['answered']} | {r['accuracy_of_answered']} | {r['abstained']} | "
              f"{r['accuracy_of_abstentions']} | {r['overall']} |" for r in a["sweep"]]
    lines += ["", "## Latency (ms)", "", "| stage | p50 | p95 |", "|---|---|---|"]
    lines += [f"| {k} | {v['p50']} | {v['p95']} |" for k, v in result["latency_ms"].items()]
    lines += ["", "## Misses", "", "| id | question | gold | answer | cited |", "|---|---|---|---|---|"]
    for x in result["outcomes"]:
        if x["em"] < 1:
            gold = " / ".join(x["gold"][:2]) or "(unanswerable)"
            ans = "(abstained)" if x["abstained"] else x["answer"][:80]
            lines.append(f"| {x['id']} | {x['question'][:70]} | {gold[:60]} | {ans} | {','.join(x['cited'])} |")
    return "\n".join(lines) + "\n"


COMPARED = ["exact_match", "f1", "answer_contained", "citation_accuracy", "retrieval_recall_at_k",
            "retrieval_recall_timely", "mrr",
            "abstention_accuracy_unanswerable", "answered_share", "wrong_year_answers", "multiple_choice_accuracy",
            "generated_share", "supported_share"]


def comparison_markdown(results: dict[str, dict]) -> str:
    """Pipelines side by side on every metric, on all questions and (where the set says which
    articles hold each answer) on those whose answer is in the corpus, with latency ratios."""
    names = list(results)
    first = results[names[0]]
    lines = [f"# {' vs '.join(names)} — {Path(first['questions_file']).name}", "",
             f"Corpus `{first['corpus']['path']}` ({first['corpus']['articles']} articles); "
             f"{first['overall']['n']} questions.", ""]
    for n in names:
        c = results[n]["corpus"]
        lines.append(f"- **{n}**: {c['passages']} passages; ingest/build {c['ingest_seconds']} s ({c['ingest']}).")
    head = "| metric | " + " | ".join(names) + " |"
    rule = "|---|" + "---|" * len(names)
    for title, key in (("All questions", "overall"), ("Answer in corpus", "answer_in_corpus")):
        if not all(results[n].get(key) for n in names):
            continue
        lines += ["", f"## {title}", "", head, rule]
        for m in COMPARED:
            lines.append(f"| {m} | " + " | ".join(str(results[n][key].get(m)) for n in names) + " |")
    lines += ["", "## Latency (ms, per question, warm)", "",
              "| stage | " + " | ".join(f"{n} p50 / p95" for n in names) + " | ratio p50 (" +
              f"{names[0]} / {names[-1]}) |", "|---|" + "---|" * (len(names) + 1)]
    for stage in ("retrieve", "answer", "first_token", "first_sentence", "total"):
        if not any(stage in results[n]["latency_ms"] for n in names):
            continue
        lat = {n: results[n]["latency_ms"].get(stage, {"p50": None, "p95": None}) for n in names}
        cells = [f"{lat[n]['p50']} / {lat[n]['p95']}" for n in names]
        a, b = lat[names[0]]["p50"], lat[names[-1]]["p50"]
        ratio = float(f"{a / b:.2g}") if a is not None and b else None  # 0.0032, not 0.0
        lines.append(f"| {stage} | " + " | ".join(cells) + f" | {ratio} |")
    types = sorted({t for n in names for t in results[n]["by_type"]})
    lines += ["", "## Exact match by question type", "", "| type | " + " | ".join(names) + " |", rule]
    for t in types:
        lines.append(f"| {t} | " + " | ".join(str(results[n]["by_type"].get(t, {}).get("exact_match")) for n in names) + " |")
    return "\n".join(lines) + "\n"


def write_report(result: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / "report.json", out / "report.md"
    j.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    m.write_text(markdown(result), encoding="utf-8")
    return j, m


__all__ = ["evaluate", "write_report", "markdown", "normalize", "exact", "f1", "ArticleError"]
