"""The `byline eval` and `byline reader` commands: question sets scored, the reader's weights
rebuilt. api/cli.py registers them on its app and shares `fail` (one line, non-zero exit)."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

reader_app = typer.Typer(help="The learned extractive reader's weights.", no_args_is_help=True)


def fail(message: str, code: int = 1) -> None:
    """The one way every command reports an error: one line on stderr, a non-zero exit."""
    typer.echo(f"byline: {message}", err=True)
    raise typer.Exit(code)


def _log_line(line: str) -> None:
    """A progress line of `byline eval` on stderr, stamped with the time of day."""
    typer.echo(f"{datetime.now():%H:%M:%S} {line}", err=True)


class Pipeline(str, Enum):
    byline = "byline"
    baseline = "baseline"
    both = "both"


def _reader_split(o: dict) -> str:
    """The reader's misses split by where the answer was lost, where the reader ranked candidates."""
    if o.get("miss_candidates") is None:
        return ""
    rest = o["miss_reader"] - o["miss_candidates"] - o["miss_ranking"]
    return f": candidates {o['miss_candidates']}, ranking {o['miss_ranking']}" + (f", not split {rest}" if rest else "")


def run_eval(
    corpus: Annotated[Optional[Path], typer.Option(help="A folder of articles or a corpus.jsonl. Default: the seeds.")] = None,
    questions: Annotated[Optional[Path], typer.Option(help="Questions JSONL. Default: eval/seed_questions.jsonl.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Report folder. Default: eval/out/<corpus>-<time>.")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Only the first N questions.")] = None,
    pipeline: Annotated[Pipeline, typer.Option(help="byline; baseline (a LangChain tutorial's RAG, "
                                               "eval/baseline.py); or both, side by side.")] = Pipeline.byline,
    generator: Annotated[Optional[list[str]], typer.Option(
        "--generator", help="Answer with this generator: extractive, llm-local[:MODEL] or openai. "
        "Repeat it to compare several side by side. Default: BYLINE_GENERATOR.")] = None,
    sample: Annotated[Optional[int], typer.Option(min=1, help="A fixed random sample of N questions "
                                                  "(the same on every run).")] = None,
    held_out_from: Annotated[Optional[datetime], typer.Option(
        formats=["%Y-%m-%d"], help="Also score the questions asked before this day (YYYY-MM-DD; what a "
        "learned part may be tuned on) and from it on (held out), apart.")] = None,
):
    """Score answers, citations, retrieval and abstentions; write report.json, report.md and plots."""
    from eval import report as reporting
    from eval import runner as evaluation
    from qa.settings import get_settings

    s = get_settings()
    corpus = corpus or Path(s.seeds_dir)
    questions = questions or evaluation.default_questions()
    for p, what in ((corpus, "--corpus"), (questions, "--questions")):
        if not p.exists():
            fail(f"{what}: {p} does not exist", 2)
    out = out or Path("eval/out") / f"{corpus.stem}-{datetime.now():%Y%m%d-%H%M%S}"
    names = ["byline", "baseline"] if pipeline == Pipeline.both else [pipeline.value]
    configs = {name: s for name in names}
    if generator:
        if pipeline != Pipeline.byline:
            fail("--generator compares Byline's answer stages: leave --pipeline at byline", 2)
        try:
            configs = {g: evaluation.with_generator(s, g) for g in dict.fromkeys(generator)}
        except ValueError as exc:
            fail(str(exc), 2)
        names = list(configs)
    from qa.generate.chat_models import GeneratorUnavailable

    # tqdm on a terminal; elsewhere (a log file, CI, a pipe) plain progress lines, since tqdm's
    # carriage returns would leave the log silent for the tens of minutes a first run takes.
    tty = sys.stderr.isatty()
    log = None if tty else _log_line
    results: dict[str, dict] = {}
    for name in names:
        try:
            factory = None
            if name == "baseline":
                from eval.baseline import BaselinePipeline as factory
            result = evaluation.evaluate(configs[name], corpus, questions, limit=limit, progress=tty,
                                         pipeline="baseline" if name == "baseline" else "byline",
                                         baseline_factory=factory, sample=sample, log=log,
                                         held_out_from=held_out_from.date() if held_out_from else None)
        except (ValueError, evaluation.ArticleError, GeneratorUnavailable) as exc:
            fail(str(exc))
        results[name] = result
        j, m = reporting.write_report(result, out / name.replace(":", "-").replace("/", "_") if len(names) > 1 else out)
        o = result["overall"]
        mc = f"  multiple-choice {o['multiple_choice_accuracy']}" if o.get("multiple_choice_accuracy") is not None else ""
        gen = (f"  generated {o['generated_share']}  supported {o['supported_share']}"
               if o.get("generated_sentences") is not None or o.get("supported_share") is not None else "")
        first = result["latency_ms"].get("first_token")
        gen += f"  first token p50 {first['p50']} ms" if first else ""
        typer.echo(
            f"{name}: EM {o['exact_match']}  F1 {o['f1']}  contained {o['answer_contained']}  "
            f"citation acc. {o['citation_accuracy']}  recall@k {o['retrieval_recall_at_k']}  MRR {o['mrr']}  "
            f"answer retrieved {o.get('answer_retrieved')} (misses: retrieval {o.get('miss_retrieval')}, "
            f"reader {o.get('miss_reader')}{_reader_split(o)})  "
            f"abstention acc. {o['abstention_accuracy_unanswerable']}  wrong-year {o['wrong_year_answers']}{mc}  "
            f"p50 {result['latency_ms']['total']['p50']} ms{gen}"
        )
        held = (result.get("by_period") or {}).get("held_out")
        if held:
            a, c, r = held["all"], held["answer_in_corpus"] or {}, held.get("answer_in_recent_article") or {}
            typer.echo(f"{name}, held out (asked from {held_out_from:%Y-%m-%d}): {a['n']} questions, EM "
                       f"{a['exact_match']}  F1 {a['f1']}; answer in corpus: {c.get('n')}, EM {c.get('exact_match')}  "
                       f"F1 {c.get('f1')}  multiple-choice {c.get('multiple_choice_accuracy')}"
                       + (f"; in a recent article: {r['n']}, EM {r['exact_match']}  F1 {r['f1']}  "
                          f"multiple-choice {r.get('multiple_choice_accuracy')}" if r else ""))
        typer.echo(f"report: {m} (and {j.name})")
    if len(names) > 1:
        cmp_path = out / "compare.md"
        cmp_path.write_text(reporting.comparison_markdown(results), encoding="utf-8")
        typer.echo(f"side by side: {cmp_path}")
    try:
        from eval.plots import write_plots

        pngs = write_plots(results, out)
        typer.echo("plots: " + ", ".join(p.name for p in pngs))
    except ImportError:
        typer.echo("plots skipped: matplotlib is not installed", err=True)


@reader_app.command("train")
def reader_train(
    shared: Annotated[Path, typer.Option(help="The folder of the RealTimeQA quarters.")] = Path("../shared/eval"),
    quarter: Annotated[Optional[list[str]], typer.Option(
        help="A training quarter to read (2023q1 ... 2024q3), repeated; default: all seven. "
             "A quarter's corpus is embedded the first time (cached in the data folder).")] = None,
):
    """Rebuild qa/ask/extractive/reader.json from the RealTimeQA training quarters and the seed
    questions (2024q4, the validation quarter, is never read)."""
    from eval.train_reader import TRAINING_QUARTERS, train
    from qa.settings import get_settings

    unknown = [q for q in quarter or [] if q not in TRAINING_QUARTERS]
    if unknown:
        fail(f"not a training quarter: {', '.join(unknown)} (choose from {', '.join(TRAINING_QUARTERS)})")
    folders = [shared / f"realtimeqa-{q}" for q in (quarter or TRAINING_QUARTERS)]
    for folder in folders:
        if not (folder / "questions.jsonl").is_file() or not (folder / "corpus.jsonl").is_file():
            fail(f"{folder}: no questions.jsonl and corpus.jsonl here (the RealTimeQA quarters in ../shared/eval)")
    try:
        import lightgbm  # noqa: F401 (only to say they are missing)
        import sklearn  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: LightGBM's library without its OpenMP runtime
        fail(f"training needs LightGBM and scikit-learn (pip install -e '.[dev]'; on Debian, libgomp1): {exc}")
    try:
        result = train(get_settings(), folders)
    except ValueError as exc:
        fail(str(exc))
    typer.echo(json.dumps(result["trained_on"]))
