"""Spans of an article's text that are not its story: licence lines, navigation, captions.

They stay in the stored text (offsets must not move) but are kept out of passages.
"""
from __future__ import annotations

import re

AGENCIES = (
    r"Reuters|AFP|AP|Getty Images|EPA|Anadolu|Xinhua|IRNA|Tasnim|Mehr|ISNA|Fars|WANA|"
    r"Bloomberg|Shutterstock|File Photo|File|Photo"
)
_PATTERNS = [
    # Licence and copyright credits, wherever they sit in a line.
    re.compile(r"(?:\b[A-Z]{1,4}/[A-Z]{1,4}\s+)?All (?:Content|content|rights)\b[^\n]*?"
               r"(?:License|Licence|reserved)\b\.?", re.I),
    re.compile(r"(?m)^\s*(?:©|Copyright\b|\(c\)\s*\d{4})[^\n]*$", re.I),
    # Navigation and promotion lines.
    re.compile(r"(?mi)^\s*(?:Most (?:Visited|Read|Popular|Viewed)(?: in \w+)?|Top(?: \w+)? [Ss]tories|"
               r"Related (?:News|Articles|Stories|Content)|Read more.*|Share this.*|Advertisement|"
               r"Subscribe\b.*|Sign up\b.*|Follow us\b.*|More from\b.*|Trending\b.*)\s*$"),
    # A photo caption: a line of its own ending in an agency or photographer credit.
    re.compile(rf"(?m)^[^\n.!?]{{10,240}}\((?:{AGENCIES})(?:[/ ][^)\n]{{0,40}})?\)\s*$"),
    # A 'date YYYY-MM-DD' header line that some feeds prepend.
    re.compile(r"\A\s*date\s+\d{4}-\d\d-\d\d\b"),
]


def boilerplate_spans(text: str, extra_lines: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Sorted, merged [start, end) spans to keep out of passages.

    extra_lines: whole lines to drop too, e.g. a headline already used as the title.
    """
    spans = [m.span() for rx in _PATTERNS for m in rx.finditer(text)]
    for line in extra_lines:
        if line.strip():
            spans += [m.span() for m in re.finditer(rf"(?m)^\s*{re.escape(line.strip())}\s*$", text)]
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged
