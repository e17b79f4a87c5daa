"""The eval runner: metrics on the seed set, and a small fixed slice of RealTimeQA."""
import json
import os
import subprocess
import sys
import tomllib
from datetime import date
from importlib import resources

import pytest

from eval import metrics, report
from eval import runner as evaluation
from tests.conftest import ROOT, SEEDS, SHARED_EVAL


def test_squad_normalisation_folds_unicode_quotes():
    assert metrics.exact("Iraq’s National Wisdom Movement", ["Iraq's National Wisdom Movement"]) == 1.0
    assert metrics.exact("the KRG", ["KRG"]) == 1.0
    assert metrics.f1("Ammar al-Hakim", ["Seyyed Ammar al-Hakim"]) == pytest.approx(0.8)
    assert metrics.exact("Barzani", ["al-Hakim"]) == 0.0


def test_seed_questions_file_is_well_formed():
    items = evaluation.load_questions(ROOT / "eval" / "seed_questions.jsonl")
    types = [i.type for i in items]
    assert len(items) >= 40
    assert types.count("unanswerable") >= 6 and sum(bool(i.history) for i in items) >= 4
    assert all(i.answers or i.type == "unanswerable" for i in items)


def test_seed_eval(settings, tmp_path):
    result = evaluation.evaluate(settings, SEEDS, ROOT / "eval" / "seed_questions.jsonl", progress=False)
    j, m = report.write_report(result, tmp_path / "report")
    o = result["overall"]
    assert json.loads(j.read_text())["overall"] == o
    md = m.read_text()
    assert "## By question type" in md
    # Answer retrieved: per question (None when there is no answer), and the misses split by the
    # stage that lost them, which between them are every answerable question got wrong.
    outs = result["outcomes"]
    assert all((x["answer_retrieved"] is None) == (not x["gold"]) for x in outs)
    answerable = [x for x in outs if x["gold"]]
    assert o["answer_retrieved"] == pytest.approx(
        sum(x["answer_retrieved"] for x in answerable) / len(answerable), abs=0.001)
    assert o["answer_retrieved"] >= o["exact_match_answerable"]  # an exact answer came from a passage
    assert o["miss_retrieval"] + o["miss_reader"] == sum(x["em"] < 1 for x in answerable)
    assert o["miss_reader"] == sum(x["em"] < 1 and x["answer_retrieved"] for x in answerable)
    # The learned reader ranks candidates for every answerable question here, so each of its
    # misses is a candidate miss or a ranking miss.
    assert all(x["answer_in_candidates"] is not None for x in answerable)
    assert o["miss_candidates"] + o["miss_ranking"] == o["miss_reader"]
    assert "| answer_retrieved |" in md and "| miss_retrieval |" in md and "| miss_reader |" in md
    assert "answer retrieved" in md.split("## Misses")[1]
    # Floors that guard against regressions; the report carries the exact figures.
    assert o["wrong_year_answers"] == 0
    assert o["citation_accuracy"] >= 0.95
    assert o["retrieval_recall_at_k"] >= 0.95
    assert o["exact_match"] >= 0.8
    assert result["abstention"]["sweep"][0]["threshold"] == 0.0


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="../shared/eval is not beside this checkout")
def test_realtimeqa_slice(settings, tmp_path):
    """A fixed slice: the first 15 questions whose answer is in the corpus, their source
    articles, and the next 40 articles of the corpus as distractors."""
    questions = [json.loads(line) for line in (SHARED_EVAL / "questions.jsonl").open()]
    picked = [q for q in questions if q["sources"]][:15]
    wanted = {s for q in picked for s in q["sources"]}
    corpus = [json.loads(line) for line in (SHARED_EVAL / "corpus.jsonl").open()]
    slice_ = [a for a in corpus if a["id"] in wanted] + [a for a in corpus if a["id"] not in wanted][:40]
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(a) + "\n" for a in slice_))
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in picked))
    result = evaluation.evaluate(settings, tmp_path / "corpus.jsonl", tmp_path / "questions.jsonl", progress=False)
    o = result["overall"]
    assert o["n"] == 15
    assert o["retrieval_recall_at_k"] >= 0.4  # measured 0.47 when written: a regression floor
    assert result["corpus"]["articles"] == len(slice_)
    # Sources from before the week asked about, or after the quiz, are not timely ones.
    outs = result["outcomes"]
    assert all(set(x["timely_sources"]) <= set(x["sources"]) for x in outs)
    assert all(set(x["recent_sources"]) <= set(x["sources"]) for x in outs)
    assert any(len(x["timely_sources"]) < len(x["sources"]) for x in outs)
    assert o["retrieval_recall_timely"] is not None


def test_baseline_side_by_side_on_the_seeds(settings, tmp_path):
    """The tutorial baseline runs on the same questions; Byline beats it where the issue asks."""
    from eval.baseline import BaselinePipeline
    from eval.plots import write_plots

    questions = ROOT / "eval" / "seed_questions.jsonl"
    byline = evaluation.evaluate(settings, SEEDS, questions, progress=False)
    base = evaluation.evaluate(settings, SEEDS, questions, progress=False, pipeline="baseline",
                               baseline_factory=BaselinePipeline)
    assert base["pipeline"] == "baseline" and base["overall"]["n"] == byline["overall"]["n"]
    assert byline["overall"]["exact_match"] > base["overall"]["exact_match"]
    assert byline["overall"]["citation_accuracy"] > base["overall"]["citation_accuracy"]
    md = report.comparison_markdown({"byline": byline, "baseline": base})
    assert "| exact_match |" in md and "ratio p50" in md
    assert "| answer_retrieved |" in md and "| miss_retrieval |" in md and "| miss_reader |" in md
    assert base["overall"]["answer_retrieved"] is not None  # the baseline fills the trace's passages too
    assert base["overall"]["miss_candidates"] is not None  # and the candidates its reader ranked
    assert "| miss_candidates |" in md and "| miss_ranking |" in md
    pngs = write_plots({"byline": byline, "baseline": base}, tmp_path)
    assert all(p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def test_a_timely_source_is_not_older_than_the_time_asked_nor_newer_than_the_question():
    week, quiz = date(2024, 1, 1), date(2024, 1, 5)
    assert evaluation._timely((date(2024, 1, 3), date(2024, 1, 3)), week, quiz)
    assert not evaluation._timely((date(2022, 11, 8), date(2022, 11, 8)), week, quiz)
    assert not evaluation._timely((date(2024, 1, 8), date(2024, 1, 8)), week, quiz)
    assert evaluation._timely((date(2023, 1, 1), date(2023, 12, 31)), None, quiz)  # no time named
    assert evaluation._timely(None, week, quiz)  # undated: can't be ruled out


def test_multiple_choice_pick_is_the_best_supported_option():
    support = [("Luke Humphries beat Luke Littler 7-4 to win the PDC world title.", 0.9),
               ("Michael van Gerwen lost in the second round.", 0.4)]
    choices = ["Michael van Gerwen", "Luke Humphries", "Gerwyn Price", "Peter Wright"]
    assert metrics.pick_choice(choices, support, "Luke Humphries") == "Luke Humphries"
    # Nothing supports any option: no pick, counted wrong rather than guessed.
    assert metrics.pick_choice(["Owl", "Roo"], support, "") is None



def test_answer_retrieved_is_a_gold_answer_in_the_passages_read():
    passages = ["Seyyed Ammar al-Hakim leads Iraq’s National Wisdom Movement.", "The KRG met on Tuesday."]
    assert metrics.answer_in_passages(["Iraq's National Wisdom Movement"], passages) is True
    assert metrics.answer_in_passages(["the KRG", "Barzani"], passages) is True
    assert metrics.answer_in_passages(["Barzani"], passages) is False
    assert metrics.answer_in_passages(["Tue"], passages) is False  # whole words, not part of one
    assert metrics.answer_in_passages([], passages) is None  # unanswerable: nothing to find


def test_default_questions_ship_as_package_data():
    """The default question set is found through importlib.resources, as an installed package
    finds it, and pyproject ships it as package data of `eval`."""
    shipped = resources.files("eval").joinpath("seed_questions.jsonl")
    assert shipped.is_file()
    default = evaluation.default_questions()
    assert default.is_file() and default.read_bytes() == shipped.read_bytes()
    assert len(evaluation.load_questions(default)) >= 40
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "*.jsonl" in data["eval"] and data["api"] == ["static/*"]


def test_progress_lines_when_output_is_not_a_terminal(settings, tmp_path):
    """Off a terminal `byline eval` writes plain progress lines, not tqdm's carriage returns,
    for the ingest and for the questions."""
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(line + "\n" for line in
                                 evaluation.default_questions().read_text().splitlines()[:4]))
    # The session's data folder: its embedding cache and eval store, where earlier tests built them.
    env = {**os.environ, "BYLINE_DATA_DIR": str(settings.data_dir), "BYLINE_SEEDS_DIR": str(SEEDS),
           "BYLINE_TODAY": "2026-11-22"}
    run = subprocess.run([sys.executable, "-m", "api.cli", "eval", "--questions", str(questions),
                          "--out", str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stderr.splitlines()
    assert any("ingest: " in line and " articles from " in line for line in lines)
    assert any("ingest: done in " in line and "passages" in line for line in lines)
    assert any("questions: 1/4 (25%), " in line for line in lines)
    assert any("questions: 4/4 (100%), " in line for line in lines)
    assert "\r" not in run.stderr
    assert "answer retrieved" in run.stdout


def test_progress_log_writes_each_tenth_and_after_a_pause():
    lines, now = [], [0.0]
    log = evaluation.ProgressLog("questions", 379, lines.append, every_s=30, clock=lambda: now[0])
    for i in range(379):
        now[0] += 0.1 if i != 5 else 40.6  # one slow question
        log.update()
    assert lines[0] == "questions: 6/379 (1%), 41 s"  # after 30 s without a line
    assert lines[1].startswith("questions: 38/379 (10%)")
    assert lines[-1].startswith("questions: 379/379 (100%)") and len(lines) == 11
    log.update()
    assert len(lines) == 11  # the end is written once


def test_a_generated_answer_is_not_split_by_the_readers_candidates(settings):
    """Where a generator wrote the answer, the extractive reader's candidates say nothing of how
    it missed: no split is claimed (plumbing: the baseline's answers relabelled as generated)."""
    from eval.baseline import BaselinePipeline

    class Generated:
        def __init__(self, inner):
            self.inner = inner

        def ask(self, *args, **kwargs):
            return self.inner.ask(*args, **kwargs).model_copy(update={"generator": "llm-local:test"})

        def __getattr__(self, name):
            return getattr(self.inner, name)

    result = evaluation.evaluate(
        settings, SEEDS, ROOT / "eval" / "seed_questions.jsonl", limit=8, progress=False, pipeline="baseline",
        baseline_factory=lambda *args: Generated(BaselinePipeline(*args)))
    assert all(x["answer_in_candidates"] is None for x in result["outcomes"])
    assert result["overall"]["miss_candidates"] is None and result["overall"]["miss_ranking"] is None
    assert "Of the reader's misses" not in report.markdown(result)
