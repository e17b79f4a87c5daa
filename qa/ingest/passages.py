"""Article text → passages: whole sentences, about `target_chars` long, overlapping.

Every passage and sentence keeps exact code-point offsets into the article's text, so
text[start:end] is always the quoted string. Passages never cross boilerplate.
"""
from __future__ import annotations

import re

from spacy.tokens import Doc

from qa.types import Passage, Span

_NON_SPACE = re.compile(r"\S(?:.*\S)?", re.S)
ANSWER_LABELS = {
    "PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "DATE", "TIME", "CARDINAL", "QUANTITY",
    "MONEY", "PERCENT", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT", "ORDINAL",
}


def _subtract(start: int, end: int, skip: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [(start, end)]
    for s, e in skip:
        nxt = []
        for a, b in pieces:
            if e <= a or s >= b:
                nxt.append((a, b))
                continue
            if a < s:
                nxt.append((a, s))
            if e < b:
                nxt.append((e, b))
        pieces = nxt
    return pieces


def sentence_spans(doc: Doc, skip: list[tuple[int, int]]) -> list[list[Span]]:
    """Sentences, trimmed, cut at line breaks, as runs that boilerplate separates."""
    text = doc.text
    runs: list[list[Span]] = [[]]
    for sent in doc.sents:
        for a, b in _subtract(sent.start_char, sent.end_char, skip):
            if a > sent.start_char and runs[-1]:
                runs.append([])  # boilerplate inside or before: start a new run
            for line in re.finditer(r"[^\n]+", text[a:b]):
                m = _NON_SPACE.search(line[0])
                if not m:
                    continue
                s = a + line.start() + m.start()
                e = a + line.start() + m.end()
                if sum(ch.isalnum() for ch in text[s:e]) >= 3:
                    runs[-1].append(Span(s, e))
            if b < sent.end_char and runs[-1]:
                runs.append([])
    # A gap that holds boilerplate between two sentences also ends a run.
    out: list[list[Span]] = []
    for run in runs:
        cur: list[Span] = []
        for sp in run:
            if cur and any(cur[-1].end <= s < sp.start for s, _ in skip):
                out.append(cur)
                cur = []
            cur.append(sp)
        if cur:
            out.append(cur)
    return out


def entity_spans(doc: Doc, skip: list[tuple[int, int]]) -> list[Span]:
    """Named entities, with a PERSON split in two by the tagger joined again
    ("Mohammed Shia'" + "Al-Sudani")."""
    text = doc.text  # spaCy rebuilds Doc.text from its tokens on every access: once per doc
    ents: list[Span] = []
    for ent in doc.ents:
        if ent.label_ not in ANSWER_LABELS or any(s <= ent.start_char < e for s, e in skip):
            continue
        span = Span(ent.start_char, ent.end_char, ent.label_)
        if (
            ents
            and span.label == "PERSON" == ents[-1].label
            and text[ents[-1].end: span.start].strip() == ""
            and "\n" not in text[ents[-1].end: span.start]
        ):
            span = Span(ents.pop().start, span.end, "PERSON")
        ents.append(span)
    return ents


def make_passages(
    doc_id: str,
    doc: Doc,
    skip: list[tuple[int, int]],
    target_chars: int = 800,
    overlap: int = 1,
) -> list[Passage]:
    text = doc.text
    entities = entity_spans(doc, skip)
    passages: list[Passage] = []
    for run in sentence_spans(doc, skip):
        i = 0
        while i < len(run):
            j = i + 1
            while j < len(run) and run[j].end - run[i].start <= target_chars:
                j += 1
            sents = run[i:j]
            start, end = sents[0].start, sents[-1].end
            passages.append(
                Passage(
                    doc_id=doc_id,
                    ordinal=len(passages),
                    start=start,
                    end=end,
                    text=text[start:end],
                    sentences=list(sents),
                    entities=[e for e in entities if start <= e.start and e.end <= end],
                )
            )
            if j >= len(run):
                break
            i = max(j - overlap, i + 1)
    return passages
