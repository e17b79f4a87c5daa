"""Reading articles from files: .txt, .md, .html and .jsonl (one article per line).

A reader returns a Draft: the text Byline stores (for .txt/.md the file exactly as decoded)
and what the file itself states about it. Titles, sources and dates not stated are
worked out later from the text (qa/metadata.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml
from bs4 import BeautifulSoup
from qa.errors import ArticleError  # noqa: F401 (raised here; importable from here too)

SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl")
DOC_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}")
MAX_CHARS = 1_000_000  # spaCy's limit for one text: a longer article is refused, not a crash


@dataclass
class Draft:
    id: str
    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    skip: list[tuple[int, int]] = field(default_factory=list)  # header spans, not story

    def __post_init__(self) -> None:
        if len(self.text) > MAX_CHARS:
            raise ArticleError(f"{self.id}: the text is {len(self.text):,} characters; an article may "
                               f"have at most {MAX_CHARS:,}")


def check_id(doc_id: str) -> str:
    if not isinstance(doc_id, str) or not DOC_ID.fullmatch(doc_id):
        raise ArticleError(
            f"bad document id {doc_id!r}: use 1-200 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return doc_id


def _clean(value: object) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


_KEYS = {"title": "title", "headline": "title", "source": "source", "publisher": "source",
         "url": "url", "link": "url", "date": "published", "published": "published",
         "published_at": "published", "publication_date": "published"}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_HEADER_LINES = re.compile(r"\A((?:(?:Title|Source|URL|Date|Published|Publisher)\s*:[^\n]*\n)+)\s*\n", re.I)


def from_text(doc_id: str, text: str) -> Draft:
    """A plain-text or Markdown article; an optional YAML front matter or 'Key: value'
    header block states metadata. The text is stored unchanged, the header kept out of passages."""
    draft = Draft(id=check_id(doc_id), text=text)
    m = _FRONT_MATTER.match(text)
    fields: dict = {}
    if m:
        try:
            loaded = yaml.safe_load(m[1])
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            fields = loaded
            draft.skip.append(m.span())
    else:
        m = _HEADER_LINES.match(text)
        if m:
            for line in m[1].splitlines():
                key, _, value = line.partition(":")
                fields[key.strip()] = value
            draft.skip.append(m.span())
    for key, value in fields.items():
        attr = _KEYS.get(str(key).strip().lower())
        if attr:
            setattr(draft, attr, _clean(value))
    if draft.title is None and text.lstrip().startswith("# "):
        line = text.lstrip().splitlines()[0]
        draft.title = line[2:].strip() or None
    return draft


def from_html(doc_id: str, html: str) -> Draft:
    """An HTML page: its article text (paragraphs joined by blank lines) and its meta tags."""
    soup = BeautifulSoup(html, "html.parser")

    def meta(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and _clean(tag.get("content")):
                return _clean(tag.get("content"))
        return None

    title = meta("og:title", "twitter:title") or _clean(soup.title.string if soup.title else None)
    h1 = soup.find("h1")
    if not title and h1:
        title = _clean(h1.get_text(" "))
    time_tag = soup.find("time", attrs={"datetime": True})
    published = meta("article:published_time", "datePublished", "date", "pubdate") or (
        _clean(time_tag["datetime"]) if time_tag else None
    )
    canonical = soup.find("link", attrs={"rel": "canonical"})
    url = meta("og:url") or (_clean(canonical.get("href")) if canonical else None)
    source = meta("og:site_name", "publisher", "application-name")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "figure"]):
        tag.decompose()
    body = soup.find("article") or soup.body or soup
    blocks = [b.get_text(" ", strip=True) for b in body.find_all(["p", "h2", "h3", "li", "blockquote"])]
    blocks = [re.sub(r"\s+", " ", b) for b in blocks if b.strip()]
    text = "\n\n".join(blocks) or re.sub(r"[ \t]+", " ", body.get_text("\n", strip=True))
    if not text.strip():
        raise ArticleError(f"{doc_id}: the HTML page has no article text")
    return Draft(id=check_id(doc_id), text=text, title=title, source=source, url=url, published=published)


def from_record(record: object, where: str) -> Draft:
    """One JSON object: {id, text, title?, url?, source?, published?}."""
    if not isinstance(record, dict):
        raise ArticleError(f"{where}: expected a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(f"{where}: 'text' must be a non-empty string")
    doc_id = record.get("id")
    if doc_id is None:
        raise ArticleError(f"{where}: 'id' is missing")
    draft = Draft(id=check_id(str(doc_id)), text=text)
    draft.title = _clean(record.get("title"))
    draft.source = _clean(record.get("source"))
    draft.url = _clean(record.get("url"))
    draft.published = _clean(record.get("published"))
    return draft


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def from_bytes(name: str, data: bytes) -> Iterator[Draft]:
    """Drafts from one file's bytes; its name gives the format and (stem) the document id."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise ArticleError(f"{name}: unsupported file type (use {', '.join(SUPPORTED)})")
    text = decode(data, name)
    stem = Path(name).stem
    if suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ArticleError(f"{name} line {n}: not JSON ({exc.msg})") from None
            yield from_record(record, f"{name} line {n}")
    elif suffix in (".html", ".htm"):
        yield from_html(stem, text)
    else:
        if not text.strip():
            raise ArticleError(f"{name}: the file is empty")
        yield from_text(stem, text)


def files_under(paths: list[Path]) -> list[Path]:
    """The article files named, folders searched recursively, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
        elif path.is_file():
            found.append(path)
        else:
            raise ArticleError(f"{path}: no such file or folder")
    return found


def read_path(path: Path) -> Iterator[Draft]:
    yield from from_bytes(path.name, path.read_bytes())
