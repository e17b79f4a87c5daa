"""Readers: what turns a reading into answer events, chosen by name (`BYLINE_GENERATOR`).

Every question is read by the extractive reader first (candidate answers, ranked, and a
calibrated confidence): its answer is the one an abstention is decided on and the one any other
reader falls back on. A reader then speaks: the extractive one says that answer as it is; a
chat model (qa/generate/) writes or quotes its own, checked against the passages. A new reader
registers a factory here and nothing else in the pipeline changes.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Protocol

from qa.ask.extractive import ABSTENTION
from qa.ask.extractive.when import with_calendar_day
from qa.generate import Generator
from qa.reading import Reading, Trace, cite
from qa.settings import Settings
from qa.types import Answer, AnswerText, AskEvent, CitationsFound, Done


class Reader(Protocol):
    """A reading and the extractive answer in, answer events out, ending with Done."""

    name: str  # what `Answer.generator` says

    def load(self) -> None:
        """Load what the reader needs now (a server does at start), not at the first question."""

    def close(self) -> None:
        """Let go of what it loaded."""

    def events(self, reading: Reading, extractive: Answer, started: float,
               trace: Trace | None) -> Iterator[AskEvent]: ...


def extractive_answer(reading: Reading, timings: dict[str, float], abstain_below: float | None = None) -> Answer:
    """The extractive reader's answer: its best span with the sentence it cites, or an abstention
    where its confidence is under the threshold (`abstain_below`, where set, else the reader's own)."""
    timings = {k: round(v, 1) for k, v in timings.items()}
    found = reading.found
    threshold = abstain_below if abstain_below is not None else reading.abstain_below
    # Held to the threshold unrounded: rounded to the thousandth shown, 0.01866 would pass 0.019.
    confidence = round(reading.confidence, 3)
    if found is None or reading.confidence < threshold:
        return Answer(answer=ABSTENTION, abstained=True, confidence=confidence,
                      standalone_question=reading.standalone, citations=[], timings_ms=timings)
    sent = found.sentence
    return Answer(answer=f"{with_calendar_day(reading.info, found)} [1]", abstained=False, confidence=confidence,
                  standalone_question=reading.standalone,
                  citations=[cite(1, sent.passage, sent.span.start, sent.span.end)], timings_ms=timings)


class ExtractiveReader:
    """Says the extractive answer: its citations, then its words."""

    name = "extractive"

    def __init__(self, settings: Settings | None = None):
        pass

    def load(self) -> None:
        pass

    def close(self) -> None:
        pass

    def events(self, reading: Reading, extractive: Answer, started: float,
               trace: Trace | None) -> Iterator[AskEvent]:
        yield CitationsFound(extractive.citations)
        for piece in re.findall(r"\S+\s*", extractive.answer):
            yield AnswerText(piece)
        yield Done(extractive)


READERS: dict[str, Callable[[Settings], Reader]] = {
    "extractive": ExtractiveReader,
    "llm-local": Generator,  # a chat model quotes or writes the answer (qa/generate/)
    "openai": Generator,
}


def reader_for(settings: Settings) -> Reader:
    """The reader `settings.generator` names."""
    try:
        return READERS[settings.generator](settings)
    except KeyError:
        raise ValueError(f"unknown generator {settings.generator!r}: use one of {', '.join(READERS)}") from None
