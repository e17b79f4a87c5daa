"""The LLM reader's grammar (GBNF, for llama.cpp): which runs of the shown sentences it admits,
and how it writes them. That a real model keeps to it is tested in tests/integration/test_generate.py."""
import re

from qa.generate import reader


def shown(texts: list[str]):
    """Hand-made sentences as the reader shows them (one passage, offsets into its text)."""
    from qa.reading import Sentence
    from qa.ask.retrieval import RetrievedPassage
    from qa.types import Article, Passage, Span

    body = " ".join(texts)
    passage = RetrievedPassage(0, Passage("harbour", 0, 0, len(body), body),
                               Article(id="harbour", title="Portvale harbour", text=body), 1.0, 0)
    out, at = [], 0
    for t in texts:
        out.append(Sentence(passage, Span(at, at + len(t)), t, 1.0, []))
        at += len(t) + 1
    return out


QUOTED = ["The Portvale ferry “Gull's Wing” sank on 3 May, the harbour master, Ines Okafor, said.",
          'Divers found its bell at 40 metres; the "C:\\logs" file — kept since 1998 — was lost.',
          "About 1,200 people watched the salvage, which cost $3.2 million (£2.5m)."]


def rules(grammar: str) -> dict[str, str]:
    return dict(line.split(" ::= ", 1) for line in grammar.splitlines())


def test_a_run_may_start_at_every_word_but_a_bare_dash():
    starts = rules(reader.quote_grammar(shown(QUOTED)))["root"].split(" | ")
    assert len(starts) == 15 + 15 + 11  # the words of the three sentences, less the two dashes
    assert "s1-10" not in starts and "s1-14" not in starts  # "—"


def test_outer_punctuation_is_left_off_the_first_and_last_word_only():
    r = rules(reader.quote_grammar(shown(QUOTED)))
    assert r["s0-3"] == '"Gull\'s" | "Gull\'s " m0-4'  # “Gull's: alone, or starting a run
    assert r["m0-4"] == '"Wing" | "Wing” " m0-5'  # Wing”: ending a run, or inside one as written
    assert r["m2-10"] == '"(£2.5m"'  # the sentence's last word, its full stop and bracket left off


def test_one_letter_is_no_phrase_but_one_digit_is():
    r = rules(reader.quote_grammar(shown(["He was 3", "Voted: a"])))
    assert r["s0-2"] == '"3"'
    assert "s1-1" not in r  # "a" alone; "Voted: a" may still be quoted whole
    assert r["s1-0"] == '"Voted" | "Voted: " m1-1'
    assert reader.locate("3", shown(["He was 3"])) is not None and reader.locate("a", shown(["Voted: a"])) is None


def test_quotes_backslashes_and_control_characters_are_escaped():
    grammar = reader.quote_grammar(shown(['the "C:\\logs" file', "bell\x07 rang"]))
    assert r'"\"C:\\logs\" "' in grammar
    assert r'"bell\x07 "' in grammar and "\x07" not in grammar
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", grammar)  # lines of text only


def test_no_sentence_no_grammar():
    assert reader.quote_grammar([]) == ""


def test_every_kind_of_dash_and_quotation_mark_is_outer_punctuation_but_signs_are_not():
    sent = shown(["Bars open at 8 a.m. ― an hour early ‒ and ‹Happy› hours cost 5% or $2."])
    r = rules(reader.quote_grammar(sent))
    assert "s0-5" not in r and "s0-9" not in r  # "―" (a horizontal bar) and "‒" (a figure dash) start nothing
    assert r["m0-4"] == '"a.m" | "a.m. " m0-5'  # a run may end at "a.m"
    assert r["m0-5"] == '"― " m0-6' and r["m0-9"] == '"‒ " m0-10'  # and goes through a dash, never ends at one
    assert r["s0-11"].startswith('"Happy" | ')  # ‹Happy›: the angle quotes left off
    assert reader.locate("8 a.m. ―", sent)[1:] == (13, 18)  # "8 a.m", the bar left off
    assert r["m0-14"] == '"5%" | "5% " m0-15' and r["s0-16"] == '"$2"'  # a percent or dollar sign stays


def test_the_model_is_shown_the_candidates_sentences_then_the_best_supported():
    """Candidates from fewer sentences than n still leave the model n sentences to read: theirs
    first, then the best-supported others, each once."""
    from qa.ask.extractive.reader import Candidate
    from qa.reading import Reading

    sents = shown(QUOTED)
    only = Candidate(sents[2].span.start, sents[2].span.start + 5, "About", "RULE", sents[2], 2)
    reading = Reading("q", None, [], sents, None, 0.0, 0.0, [only])
    assert reader.chosen_sentences(reading, 3) == [sents[2], sents[0], sents[1]]
    assert reader.chosen_sentences(reading, 1) == [sents[2]]
