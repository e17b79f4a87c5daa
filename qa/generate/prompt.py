"""The prompt for composed answers: numbered passages, each headed by its source and date."""
from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from qa.generate.verify import Evidence

# Measured on the seed questions with the 0.5B and 1.5B Qwen models: the plainest wording works
# best. An "if the passages don't say, answer I don't know" clause made the 1.5B decline
# questions passage [1] answers outright, and a worked example was copied verbatim; declining
# is left to the check instead (nothing supported → the extractive answer or an abstention).
# Titles are left out of the passage headers: made from a first sentence, they were copied as answers.
PROMPT = ChatPromptTemplate.from_messages([
    ("system", "You are a helpful assistant."),
    ("human", "Read these news passages.\n\n{passages}\n\nQuestion: {question}\n"
              "Answer in one or two sentences, each followed by the number of its passage in square brackets."),
])


def chain(model: BaseChatModel) -> Runnable:
    return PROMPT | model


def passage_block(evidence: list[Evidence]) -> str:
    """[n] (source, date) text — the date tells the model which year a passage speaks of."""
    blocks = []
    for e in evidence:
        art = e.article
        when = art.published.value if art.published else "date unknown"
        source = f"{art.source}, " if art.source else ""
        blocks.append(f"[{e.n}] ({source}{when}) {' '.join(e.text.split())}")
    return "\n\n".join(blocks)
