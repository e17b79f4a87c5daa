"""Reports of an eval run: report.md and report.json for one pipeline, compare.md side by side."""
from __future__ import annotations

import json
from pathlib import Path


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def markdown(result: dict) -> str:
    o = result["overall"]
    lines = [f"# Byline eval — {Path(result['questions_file']).name}", "",
             f"Run {result['when']}; corpus `{result['corpus']['path']}` "
             f"({result['corpus']['articles']} articles, {result['corpus']['passages']} passages); "
             f"settings {result['settings']}; pipeline `{result.get('pipeline', 'byline')}`.", ""]
    # All questions, then each part the set lets us tell apart, where it differs from all.
    cols = [("all questions", o)] + [(name, result[key]) for name, key in (
        ("answer in corpus", "answer_in_corpus"), ("answer in a recent article", "answer_in_recent_article"))
        if result.get(key)]
    if len(cols) == 1:
        lines += ["| metric | value |", "|---|---|"]
    else:
        lines += ["| metric | " + " | ".join(name for name, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    lines += [f"| {k} | " + " | ".join(str(part.get(k)) for _, part in cols) + " |" for k in o]
    if result.get("answer_in_recent_article"):
        lines += ["", "A recent article: a source dated within the RECENT_DAYS (eval/runner.py) up to the day "
                  "the question was asked. A quiz's sources are any article containing the answer string, often "
                  "an old one."]
    if result.get("by_period"):
        lines += ["", _by_period(result["by_period"])]
    if result.get("recall_curve"):
        lines += ["", "Recall@k over retrieved articles: " + ", ".join(
            f"@{k}: {v}" for k, v in enumerate(result["recall_curve"], 1) if v is not None) + "."]
    if o.get("answer_retrieved") is not None:
        lines += ["", f"Gold answer in the passages handed to the answer stage: {o['answer_retrieved']} of "
                  f"answerable questions. Answerable misses: {o.get('miss_retrieval')} lost in retrieval "
                  f"(answer not in the passages), {o.get('miss_reader')} lost by the reader (answer in the "
                  f"passages, not given)."]
        if o.get("miss_candidates") is not None:
            rest = o["miss_reader"] - o["miss_candidates"] - o["miss_ranking"]
            lines[-1] += (f" Of the reader's misses, {o['miss_candidates']} had no candidate that is a gold "
                          f"answer, and in {o['miss_ranking']} one was ranked but not given as written (another "
                          f"ranked above it, the threshold held it back, or it was shown with its calendar day)"
                          + (f"; {rest} are not split (a generator wrote the answer, or no candidate was ranked)"
                             if rest else "")
                          + f". A gold answer was among the candidates for {o['answer_in_candidates']} of the "
                          f"answerable questions the reader ranked candidates for.")
    lines += ["", "## By question type", "",
              "| type | n | EM | F1 | contained | citation acc. | recall@k | MRR | answer retrieved | "
              "miss: retrieval / reader | abstention acc. |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t, s in result["by_type"].items():
        lines.append(f"| {t} | {s['n']} | {s['exact_match']} | {s['f1']} | {s['answer_contained']} | "
                     f"{s['citation_accuracy']} | {s['retrieval_recall_at_k']} | {s['mrr']} | "
                     f"{s.get('answer_retrieved')} | {s.get('miss_retrieval')} / {s.get('miss_reader')} | "
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
    lines += ["", "## Misses", "", "| id | question | gold | answer | cited | answer retrieved |",
              "|---|---|---|---|---|---|"]
    for x in result["outcomes"]:
        if x["em"] < 1:
            gold = " / ".join(x["gold"][:2]) or "(unanswerable)"
            ans = "(abstained)" if x["abstained"] else x["answer"][:80]
            lines.append(f"| {x['id']} | {x['question'][:70]} | {gold[:60]} | {ans} | {','.join(x['cited'])} | "
                         f"{_yes_no(x.get('answer_retrieved'))} |")
    return "\n".join(lines) + "\n"


PERIOD_METRICS = ["n", "exact_match", "f1", "answer_retrieved", "answer_in_candidates", "multiple_choice_accuracy",
                  "wrong_year_answers"]


def _by_period(split: dict) -> str:
    """The questions tuned on beside the held-out ones: on all, on those answered in the corpus,
    and on those answered in a recent article."""
    day = split["held_out_from"]
    cols = [(f"{name} {part}", split[name][key]) for name in ("tuned_on", "held_out") if split.get(name)
            for part, key in (("all", "all"), ("in corpus", "answer_in_corpus"),
                              ("in a recent article", "answer_in_recent_article")) if split[name].get(key)]
    lines = [f"Asked before {day} (tuned on) and from {day} on (held out):", "",
             "| metric | " + " | ".join(c for c, _ in cols) + " |", "|---|" + "---|" * len(cols)]
    lines += [f"| {m} | " + " | ".join(str(s.get(m)) for _, s in cols) + " |" for m in PERIOD_METRICS]
    return "\n".join(lines)


COMPARED = ["exact_match", "f1", "answer_contained", "citation_accuracy", "retrieval_recall_at_k",
            "retrieval_recall_timely", "mrr", "answer_retrieved", "miss_retrieval", "miss_reader",
            "answer_in_candidates", "miss_candidates", "miss_ranking",
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
