"""Asking: one answer (/ask) or the same answer streamed as server-sent events (/ask/stream)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import ArchiveDep, ReadAccess
from api.schemas import AskRequest
from qa.errors import GeneratorUnavailable
from qa.types import Answer, AskEvent, Done

log = logging.getLogger("byline")
router = APIRouter(dependencies=[ReadAccess], tags=["ask"])


def answer_events(events: Iterator[AskEvent],
                  on_done: Callable[[Answer], dict] | None = None) -> Iterator[ServerSentEvent]:
    """The archive's events as SSE; a failure midway becomes an 'error' event, never a cut stream."""
    try:
        for event in events:
            if isinstance(event, Done):
                extra = on_done(event.answer) if on_done else {}
                yield ServerSentEvent(event=event.event, data={**event.data(), **extra})
            else:
                yield ServerSentEvent(event=event.event, data=event.data())
    except GeneratorUnavailable as exc:
        yield ServerSentEvent(event="error", data={"detail": f"the answer generator is unavailable: {exc}"})
    except Exception:
        log.exception("error while streaming an answer")
        yield ServerSentEvent(event="error", data={"detail": "the answer failed: see the server log"})


@router.post("/ask", response_model=Answer, summary="Ask a question; the answer cites its sentence")
def ask(body: AskRequest, archive: ArchiveDep) -> Answer:
    return archive.ask(body.query())


@router.post("/ask/stream", response_class=EventSourceResponse,
             summary="Ask, with the answer streamed as server-sent events",
             description="Events: 'question' (the standalone question), 'citations', 'answer' "
                         "(pieces of the answer text), then 'done' (the full /ask object, with every "
                         "citation) or 'error'.")
def ask_stream(body: AskRequest, archive: ArchiveDep) -> Iterator[ServerSentEvent]:
    yield from answer_events(archive.ask_events(body.query()))
