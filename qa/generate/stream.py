"""Generated answers: numbered passages → a chat model → sentences, each kept only if verified.

The model is asked to end every sentence with the number of the passage it comes from. As
its text streams in it is cut into sentences; each finished sentence is checked against the
passages it cites (qa.generate.verify) and either kept, with its markers renumbered to citations that
quote the supporting sentence, or dropped. A kept sentence is final: nothing shown is taken back.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.runnables import Runnable

from qa.generate.prompt import passage_block
from qa.generate.verify import Check, Evidence, check, mentions
from qa.types import Citation

# One or two digits: "[2025]" is a year in brackets, not passage 2025.
_MARKER = re.compile(r"\s*\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
# A sentence ends at . ! or ? (and any closing quote), then any [n] markers, then a space and
# the start of the next sentence. Hand-written: it must work on a prefix of a stream, which
# spaCy's sentence splitter, made for whole texts, does not.
_BOUNDARY = re.compile(r"[.!?][\"”’')]*(?:\s*\[\d{1,2}(?:\s*[,;]\s*\d{1,2})*\])*(?=\s+[\"“‘(]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Lt|Col|Sgt|Jr|Sr|No|vs|etc|Inc|Co|Corp|"
                           r"Gov|Sen|Rep|Prof|Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|U\.S|U\.K|U\.N))\.$")
_NOT_A_CLAIM = re.compile(r"^\W*(?:(?:the\s+)?(?:passage|source|reference)(?:\s+number)?(?:\s+is)?|see|source:?)\W*$", re.I)
# A sentence that ends on a preposition, article or conjunction lost a word: small models put
# the passage marker where a word belongs ("invited Zarif to Baghdad in [1]." for "in 2025"),
# since the passages they read are headed "[n] (source, date)". Shown, it reads as a claim
# cut short; it is dropped like an unsupported one.
_CUT_SHORT = re.compile(r"\b(?:in|on|at|to|of|for|from|by|with|into|since|during|until|after|before|"
                        r"the|a|an|and|or|but|than|as)\W*$", re.I)
_DONT_KNOW = re.compile(r"^\W*(?:i\s+(?:do\s*n[o']?t|cannot|can't)\s+(?:know|find|answer)|"
                        r"(?:the\s+)?passages?\s+do(?:es)?\s*n[o']?t\s+(?:say|answer|mention|contain|state))", re.I)


class SentenceStream:
    """Cuts streamed text into sentences as soon as each one is certainly finished."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, text: str) -> list[str]:
        self.buffer += text
        out, start = [], 0
        for m in _BOUNDARY.finditer(self.buffer):
            head = self.buffer[start:m.end()]
            if _ABBREVIATION.search(_MARKER.sub("", head).rstrip("\"”’')")):
                continue
            out.append(head.strip())
            start = m.end()
        self.buffer = self.buffer[start:]
        return [s for s in out if s]

    def flush(self) -> list[str]:
        rest, self.buffer = self.buffer.strip(), ""
        return [rest] if rest else []


def split_markers(sentence: str) -> tuple[str, list[int]]:
    """The sentence without its [n] markers, and the passage numbers they name."""
    numbers = [int(n) for m in _MARKER.finditer(sentence) for n in re.split(r"\s*[,;]\s*", m.group(1))]
    text = _MARKER.sub("", sentence).strip()
    text = re.sub(r"\s+([.!?,;:])", r"\1", text)
    return text, list(dict.fromkeys(numbers))


@dataclass
class Composition:
    """The verified answer so far: kept sentences, their citations, and what was dropped."""

    evidence: dict[int, Evidence]
    min_coverage: float = 0.6
    topic: list[str] = field(default_factory=list)  # the names the question asks about
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    attributed: int = 0  # kept sentences the model left uncited, cited to the passage that supports them
    declined: bool = False  # the model said it doesn't know
    citations: list[Citation] = field(default_factory=list)
    _numbers: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, sentence: str) -> str | None:
        """Verify one generated sentence; return it as shown (markers renumbered) or None."""
        text, numbers = split_markers(sentence)
        if not re.search(r"\w", text) or (numbers and _NOT_A_CLAIM.match(text)):
            return None  # "[2]", "The passage number is [4].": a reference, not a claim
        if _DONT_KNOW.search(text):
            self.declined = True
            return None
        if _CUT_SHORT.search(text.rstrip(".!?\"”’')")):
            self.dropped.append(sentence)
            return None
        cited = [self.evidence[n] for n in numbers if n in self.evidence]
        if len(cited) < len(numbers):
            cited = []  # a marker that names no passage: the sentence's source is unknown
        if numbers:
            result = check(text, cited, self.min_coverage)
        else:
            # Small models often leave the marker out: cite the one passage that supports the
            # sentence best on its own, if any does; the guarantee is the same.
            cited, result = self._attribute(text)
        if not result.supported or not self._on_topic(text, cited, result):
            self.dropped.append(sentence)
            return None
        self.attributed += not numbers
        markers = "".join(f"[{self._cite(e, result.quotes[e.n])}]" for e in cited)
        end = len(text.rstrip(".!?")) if text[-1:] in ".!?" else len(text)
        shown = f"{text[:end]} {markers}{text[end:]}"
        self.kept.append(shown)
        return shown

    def _attribute(self, text: str) -> tuple[list[Evidence], Check]:
        best: tuple[list[Evidence], Check] = ([], Check(False, 0.0, ["(no citation)"]))
        for e in self.evidence.values():
            result = check(text, [e], self.min_coverage)
            if result.supported and result.coverage > best[1].coverage:
                best = ([e], result)
        return best

    def _on_topic(self, text: str, cited: list[Evidence], result: Check) -> bool:
        """A supported sentence can still be beside the point ("What did Larijani discuss?" →
        a true sentence about Zarif): keep it only if it, or the sentence it is quoted from,
        names something the question names."""
        if not self.topic:
            return True
        quotes = " ".join(e.article_text[result.quotes[e.n].start:result.quotes[e.n].end] for e in cited)
        return any(mentions(text, name) or mentions(quotes, name) for name in self.topic)

    def _cite(self, e: Evidence, quote) -> int:
        key = (e.doc_id, quote.start)
        if key not in self._numbers:
            art = e.article
            self._numbers[key] = len(self.citations) + 1
            self.citations.append(Citation(
                n=self._numbers[key], doc_id=art.id, title=art.title, source=art.source, url=art.url,
                published=art.published.value if art.published else None,
                published_inferred=bool(art.published and art.published.inferred),
                quote=e.article_text[quote.start:quote.end], start=quote.start, end=quote.end,
                title_inferred=art.title_inferred, published_evidence=art.published.evidence if art.published else None))
        return self._numbers[key]

    @property
    def answer(self) -> str:
        return " ".join(self.kept)


def generate(model_chain: Runnable, question: str, evidence: list[Evidence],
             composition: Composition) -> Iterator[tuple[str, str]]:
    """Stream ('token', text) as the model writes and ('sentence', shown) for each sentence
    that passes verification; `composition` keeps the record."""
    splitter = SentenceStream()
    inputs = {"question": question, "passages": passage_block(evidence)}
    for chunk in model_chain.stream(inputs):
        text = chunk.text if hasattr(chunk, "text") else str(chunk)
        if not text:
            continue
        yield "token", text
        for sentence in splitter.feed(text):
            if (shown := composition.add(sentence)) is not None:
                yield "sentence", shown
    for sentence in splitter.flush():
        if (shown := composition.add(sentence)) is not None:
            yield "sentence", shown
