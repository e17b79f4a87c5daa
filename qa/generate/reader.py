"""The LLM reader: a chat model picks the answer phrase, and may only quote.

The model sees the best few candidate sentences (the extractive reader's ranking decides which),
each headed by its source and date, and is asked for the shortest phrase that answers. The
phrase is kept only where it is written in one of those sentences (case, quotes and outer
punctuation aside), and that sentence is its citation; otherwise the extractive answer stands.
The instructions come first and never change, so llama.cpp keeps their part of the prompt
cached between questions; what follows is short, since the prompt is what costs time on a CPU.
A local model is also held to a grammar (quote_grammar()) that lets it write nothing but a run of
whole words of one shown sentence; a remote one is only checked afterwards.
"""
from __future__ import annotations

import re
import unicodedata

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from qa.reading import Reading, Sentence

PROMPT = ChatPromptTemplate.from_messages([
    ("system", "You answer questions about the news by copying the shortest phrase that answers them."),
    ("human", "Copy from these news sentences the shortest phrase that answers the question. "
              "Write only the phrase.\n\n{sentences}\n\nQuestion: {question}\nPhrase:"),
])
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _fold(text: str) -> str:
    """Lower case and plain quotes, one character for one, so offsets carry over."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text.translate(_QUOTES))


def chain(model: BaseChatModel) -> Runnable:
    """The prompt and the model, given {sentences, question, grammar}. The grammar goes to a
    model that can keep to one (LocalChatModel.takes_grammar); a phrase is one line anyway."""
    quoting = getattr(model, "takes_grammar", False)

    def bound(inputs: dict) -> Runnable:  # a Runnable returned here is run on the same inputs
        grammar = {"grammar": inputs["grammar"]} if quoting and inputs.get("grammar") else {}
        return PROMPT | model.bind(stop=["\n"], **grammar)

    return RunnableLambda(bound)


# Outer punctuation a phrase leaves off its first and last word: sentence punctuation, and every
# dash, bracket and quotation mark of the Basic Multilingual Plane ("8 a.m. ―" is "8 a.m.",
# CJK and fullwidth ones too); a sign such as % or $ stays.
_EDGE = ".,;:!?…\"'" + "".join(c for c in map(chr, range(0x20, 0x10000))
                                 if unicodedata.category(c) in ("Pd", "Ps", "Pe", "Pi", "Pf"))


def _literal(text: str) -> str:
    """A GBNF string literal: quotes, backslashes and control characters escaped."""
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in body) + '"'


def _phrase_alone(word: str) -> bool:
    """Whether a word may be the whole phrase: two characters or more, or a digit ("3")."""
    return len(word) >= 2 or word.isdigit()


def quote_grammar(sentences: list[Sentence]) -> str:
    """A grammar in llama.cpp's GBNF that admits only a run of whole words of one sentence, as
    the model was shown it (spaces collapsed), with the outer punctuation of the run's first and
    last word left off ("Oppenheimer" from '“Oppenheimer” won'), as locate() leaves it off. The
    model then always quotes: no phrase is lost to a changed word, and none is made up. (A phrase
    cut short by the token limit can still end inside a run: the caller drops it.)

    For word i of sentence k, s{k}-{i} is a run that starts there, m{k}-{i} the rest of a run
    that reached it; the root is any start."""
    rules: list[str] = []
    starts: list[str] = []
    for k, sent in enumerate(sentences):
        words = sent.text.split()
        goes_on, first = False, len(starts)  # goes_on: a run that reaches the next word can go on
        for i in range(len(words) - 1, -1, -1):  # last word first: each rule names only the next one's
            word = words[i]
            core, head, tail = word.strip(_EDGE), word.lstrip(_EDGE), word.rstrip(_EDGE)
            alts = ([_literal(core)] if _phrase_alone(core) else []) + (
                [f'{_literal(head + " ")} m{k}-{i + 1}'] if goes_on and core else [])
            if alts:  # a run never starts at a bare dash or quote
                rules.append(f"s{k}-{i} ::= " + " | ".join(alts))
                starts.append(f"s{k}-{i}")
            alts = ([_literal(tail)] if tail else []) + ([f'{_literal(word + " ")} m{k}-{i + 1}'] if goes_on else [])
            if alts:
                rules.append(f"m{k}-{i} ::= " + " | ".join(alts))
            goes_on = bool(alts)
        starts[first:] = starts[first:][::-1]  # in reading order
    if not starts:
        return ""
    return "\n".join([f"root ::= {' | '.join(starts)}", *rules])


def chosen_sentences(reading: Reading, n: int) -> list[Sentence]:
    """The sentences of the best-ranked candidates, each once, best first, then, where those are
    fewer than n (candidates from one or two sentences; no learned ranking), the best-supported."""
    out: list[Sentence] = []
    pool = [c.sentence for c in reading.candidates] + reading.sentences
    for sent in pool:
        if all((s.passage.doc_id, s.span) != (sent.passage.doc_id, sent.span) for s in out):
            out.append(sent)
        if len(out) == n:
            break
    return out


def in_context(sentences: list[Sentence], around: int) -> list[list[Sentence]]:
    """Each chosen sentence with `around` sentences either side of it in its passage (a name or
    a date the sentence leaves to its neighbour is then in view), each sentence shown once."""
    shown: set[tuple[str, int]] = set()
    groups = []
    for sent in sentences:
        spans = sent.passage.passage.sentences
        at = next((i for i, span in enumerate(spans) if span.start == sent.span.start), None)
        near = [sent.span] if at is None or not around else spans[max(0, at - around): at + around + 1]
        group = [sent if span.start == sent.span.start else
                 Sentence(sent.passage, span, sent.article_text[span.start:span.end], 0.0, []) for span in near]
        group = [x for x in group if (x.passage.doc_id, x.span.start) not in shown]
        shown |= {(x.passage.doc_id, x.span.start) for x in group}
        if group:
            groups.append(group)
    return groups


def sentence_block(groups: list[list[Sentence]]) -> str:
    """One line a group: (source, date) and its sentences."""
    lines = []
    for group in groups:
        art = group[0].passage.article
        when = art.published.value if art.published else "date unknown"
        source = f"{art.source}, " if art.source else ""
        lines.append(f"({source}{when}) " + " ".join(" ".join(x.text.split()) for x in group))
    return "\n".join(lines)


def locate(phrase: str, sentences: list[Sentence]) -> tuple[Sentence, int, int] | None:
    """Where the phrase is written: the sentence and the article offsets of the phrase in it."""
    phrase = phrase.strip().splitlines()[0] if phrase.strip() else ""
    phrase = re.sub(r"^(?:phrase|answer)\s*:\s*", "", phrase, flags=re.I).strip(" \t" + _EDGE)
    if not _phrase_alone(phrase):
        return None
    # Whole words only ("Iran" is not in "Iranian"); any run of spaces in the phrase matches any
    # in the sentence, which the model saw collapsed.
    wanted = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in _fold(phrase).split()) + r"(?!\w)")
    for sent in sentences:
        m = wanted.search(_fold(sent.text))
        if m:
            return sent, sent.span.start + m.start(), sent.span.start + m.end()
    return None
