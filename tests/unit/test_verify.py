"""The verifier of generated sentences, the sentence stream and the composition of a checked
answer, on hand-made passages (no embedding model, no chat model)."""
import re

import pytest

from qa.ask.retrieval import RetrievedPassage
from qa.generate.stream import Composition, SentenceStream, split_markers
from qa.generate.verify import Evidence, check
from qa.types import Article, Passage, Span

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
    passage = Passage(doc_id=doc_id, ordinal=n, start=start, end=end, text=text[start:end], sentences=sents)
    return Evidence(n, RetrievedPassage(n, passage, article(doc_id, text), 1.0, 0))


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
    return Composition(ev, **kw)


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


def test_a_bare_reference_is_not_a_claim():
    c = composition()
    assert c.add("The passage number is [2].") is None and c.add("[1]") is None
    assert not c.dropped and not c.kept


def test_a_bracketed_year_is_not_a_marker():
    assert split_markers("He came in [2025] [1].") == ("He came in [2025].", [1])




def test_a_sentence_whose_marker_took_the_place_of_a_word_is_not_shown():
    """'... to Baghdad in [1].': the model wrote the marker where the year belongs. The words
    left are all in the passage, but the claim is cut short."""
    c = composition()
    assert c.add("Seyyed Ammar al-Hakim invited Zarif to Baghdad in [1].") is None
    assert c.dropped and not c.kept
    shown = c.add("Seyyed Ammar al-Hakim invited Zarif to Baghdad [1].")
    assert shown == "Seyyed Ammar al-Hakim invited Zarif to Baghdad [1]."
