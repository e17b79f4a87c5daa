"""Evaluation: run a question set against a corpus and score answers, citations and retrieval.

Scores follow SQuAD: exact match and token F1 after normalisation (lower case, no
punctuation, no articles, whitespace collapsed), with Unicode quotes and dashes folded
first, since news text writes "Iraq’s". An unanswerable question (no gold answers) counts
as exact when Byline abstains.
"""
from __future__ import annotations

import hashlib
import json
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

from qa.archive import Archive
from qa.articles import ArticleError, files_under, from_record, read_path
from qa.embeddings import Embedder, EmbeddingCache
from qa.models import Turn
from qa.settings import Settings
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


def evaluate(settings: Settings, corpus: Path, questions: Path, limit: int | None = None,
             progress: bool = True) -> dict:
    data = Path(settings.data_dir)
    embedder = Embedder(settings.embedding_model, EmbeddingCache(data / "embeddings.sqlite"),
                        settings.embedding_batch_size)
    store = FaissStore(data / "eval" / corpus_key(corpus) / "index", embedder.dim)
    archive = Archive(settings, store=store, embedder=embedder)
    t0 = time.perf_counter()
    drafts = list(load_corpus(corpus))
    report = archive.ingest_drafts(drafts, progress=progress)
    ingest_s = time.perf_counter() - t0
    items = load_questions(questions)[:limit]
    outcomes: list[Outcome] = []
    for item in tqdm(items, desc="questions", disable=not progress):
        answer, trace = archive.ask_traced(item.question, item.history, item.as_of)
        pred = "" if answer.abstained else strip_markers(answer.answer)
        unanswerable = not item.answers
        em = float(answer.abstained) if unanswerable else exact(pred, item.answers)
        cited = [c.doc_id for c in answer.citations]
        wrong_year = False
        if trace.time_range and cited:
            art = archive.store.get_article(cited[0])
            if art and art.published_start and not (
                art.published_start <= trace.time_range[1] and art.published_end >= trace.time_range[0]
            ):
                # A later article may answer only from a sentence stating the time: check it does.
                quote = answer.citations[0].quote
                wrong_year = not any(str(y) in quote for y in range(trace.time_range[0].year, trace.time_range[1].year + 1))
        outcomes.append(Outcome(
            id=item.id, type=item.type, question=item.question, standalone=answer.standalone_question,
            gold=item.answers, answer=pred, candidate=trace.candidate, abstained=answer.abstained,
            confidence=answer.confidence, cited=cited, retrieved=trace.retrieved, sources=item.sources,
            em=em, f1=(float(answer.abstained) if unanswerable else f1(pred, item.answers)),
            contained=(float(answer.abstained) if unanswerable else contained(pred, item.answers)),
            candidate_em=exact(trace.candidate or "", item.answers) if item.answers else 0.0,
            wrong_year=wrong_year, timings_ms=answer.timings_ms,
        ))
    result = summarise(outcomes, settings.abstain_below)
    result["corpus"] = {"path": str(corpus), "articles": len(drafts), "ingest": report.summary(),
                        "ingest_seconds": round(ingest_s, 1), "passages": archive.store.count_passages()}
    result["questions_file"] = str(questions)
    result["settings"] = {"embedding_model": settings.embedding_model, "top_k": settings.top_k,
                          "passage_chars": settings.passage_chars, "abstain_below": settings.abstain_below}
    result["outcomes"] = [asdict(o) for o in outcomes]
    archive.close()
    return result


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
        "abstention_accuracy_unanswerable": mean([float(o.abstained) for o in unanswerable]),
        "answered_share": mean([float(not o.abstained) for o in outcomes]),
        "wrong_year_answers": sum(o.wrong_year for o in outcomes),
    }


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
    latency = {stage: {"p50": _pct([o.timings_ms.get(stage, 0.0) for o in outcomes], 0.5),
                       "p95": _pct([o.timings_ms.get(stage, 0.0) for o in outcomes], 0.95)}
               for stage in ("rewrite", "retrieve", "answer", "total")}
    answered = [o for o in outcomes if not o.abstained]
    abstained = [o for o in outcomes if o.abstained]
    return {
        "when": datetime.now().isoformat(timespec="seconds"),
        "overall": scores(outcomes),
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
             f"settings {result['settings']}.", "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in o.items()]
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


def write_report(result: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / "report.json", out / "report.md"
    j.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    m.write_text(markdown(result), encoding="utf-8")
    return j, m


__all__ = ["evaluate", "write_report", "markdown", "normalize", "exact", "f1", "ArticleError"]
