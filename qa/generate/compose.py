"""The generating reader: which chat model writes answers (settings.generator), loaded once, and its
answer as ask events, sentence by sentence, each shown only once verified."""
from __future__ import annotations

import time
from collections.abc import Iterator

from qa.generate.chat_models import chat_model
from qa.generate.gguf import MODELS
from qa.generate import reader
from qa.generate.prompt import chain
from qa.generate.stream import Composition, generate, split_markers
from qa.generate.verify import Evidence
from qa.reading import Reading, Trace, cite
from qa.settings import Settings
from qa.types import Answer, AnswerText, AskEvent, CitationsFound, Done


class Generator:
    """A reader (qa/ask/readers.py) whose answer a chat model writes (`BYLINE_LLM_ROLE=composer`)
    or quotes (`reader`)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._chain = None  # the chat model, loaded on first use

    @property
    def name(self) -> str:
        """What `Answer.generator` says: 'llm-local:MODEL' or 'openai:MODEL'."""
        if self.settings.generator == "openai":
            return f"openai:{self.settings.openai_model}"
        known = self.settings.llm_model in MODELS
        return f"llm-local:{self.settings.llm_model if known else self.settings.llm_model_path().stem}"

    def load(self) -> None:
        """Load the configured chat model now (a server does at start), not at the first question."""
        if self._chain is None:
            model = chat_model(self.settings)
            if hasattr(model, "_load"):
                model._load()
            self._chain = reader.chain(model) if self.settings.llm_role == "reader" else chain(model)

    def close(self) -> None:
        self._chain = None  # a local model's memory goes with it

    def events(self, reading: Reading, extractive: Answer, started: float,
               trace: Trace | None) -> Iterator[AskEvent]:
        """A generated answer as events; the extractive answer stands in when no generated
        sentence is supported (or the model declines), and then says so in `generator`."""
        self.load()
        if self.settings.llm_role == "reader":
            yield from self._read(reading, extractive, started, trace)
            return
        evidence = [Evidence(n, p) for n, p in enumerate(reading.passages[: self.settings.llm_passages], 1)]
        composition = Composition({e.n: e for e in evidence}, self.settings.verify_min_coverage,
                                  topic=list(reading.info.named))
        timings = dict(extractive.timings_ms)
        t1 = time.perf_counter()
        sent_citations = 0
        for kind, text in generate(self._chain, reading.standalone, evidence, composition):
            if kind == "token":
                timings.setdefault("first_token", round((time.perf_counter() - started) * 1000, 1))
                continue
            timings.setdefault("first_sentence", round((time.perf_counter() - started) * 1000, 1))
            if len(composition.citations) > sent_citations:
                # All citations so far, before the sentence that first uses them.
                sent_citations = len(composition.citations)
                yield CitationsFound(list(composition.citations))
            yield AnswerText((" " if len(composition.kept) > 1 else "") + text)
        timings["generate"] = round((time.perf_counter() - t1) * 1000, 1)
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        if composition.kept:
            answer = Answer(answer=composition.answer, abstained=False, confidence=extractive.confidence,
                            standalone_question=reading.standalone, citations=composition.citations,
                            timings_ms=timings, generator=self.name, dropped=len(composition.dropped))
        else:
            answer = extractive.model_copy(update={"timings_ms": timings, "dropped": len(composition.dropped)})
            yield CitationsFound(answer.citations)
            yield AnswerText(answer.answer)
        if trace is not None:
            trace.generated = {"kept": composition.kept, "dropped": composition.dropped,
                               "declined": composition.declined, "attributed": composition.attributed}
            if composition.kept:
                trace.candidate = split_markers(answer.answer)[0]
                trace.candidate_doc = answer.citations[0].doc_id
        yield Done(answer)

    def _read(self, reading: Reading, extractive: Answer, started: float, trace: Trace | None) -> Iterator[AskEvent]:
        """The model's answer phrase, kept only where one of its sentences writes it."""
        chosen = reader.chosen_sentences(reading, self.settings.llm_sentences)
        groups = reader.in_context(chosen, self.settings.llm_context_sentences)
        # The chosen sentences are searched first, then their neighbours.
        sentences = chosen + [x for group in groups for x in group if all(x is not c for c in chosen)]
        timings = dict(extractive.timings_ms)
        t1 = time.perf_counter()
        reply = self._chain.invoke({"sentences": reader.sentence_block(groups), "question": reading.standalone,
                                    "grammar": reader.quote_grammar(sentences)})
        phrase = reply.text if hasattr(reply, "text") else str(reply)
        timings["generate"] = round((time.perf_counter() - t1) * 1000, 1)
        timings["total"] = round((time.perf_counter() - started) * 1000, 1)
        cut = (getattr(reply, "response_metadata", None) or {}).get("finish_reason") == "length"
        found = None if cut else reader.locate(phrase, sentences)  # a cut phrase may end mid-word ("$3" of "$3.2")
        if found is None:
            answer = extractive.model_copy(update={"timings_ms": timings, "dropped": 1})
        else:
            sent, start, end = found
            text = sent.article_text[start:end]
            answer = Answer(answer=f"{text} [1]", abstained=False, confidence=extractive.confidence,
                            standalone_question=reading.standalone,
                            citations=[cite(1, sent.passage, sent.span.start, sent.span.end)],
                            timings_ms=timings, generator=self.name)
        if trace is not None:
            trace.generated = {"kept": [phrase] if found else [], "dropped": [] if found else [phrase],
                               "declined": False, "attributed": 0}
            if found:
                trace.candidate, trace.candidate_doc = answer.answer[:-4], answer.citations[0].doc_id
        yield CitationsFound(answer.citations)
        yield AnswerText(answer.answer)
        yield Done(answer)
