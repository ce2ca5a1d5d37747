"""The bibliography's pybtex style: author-year labels, editions as ordinals.

The text cites with sphinxcontrib-bibtex's author-year style ("Blanchard et al.,
2021"), but pybtex's ``plain`` style numbers the entries of the bibliography
([1], [2], ...), so a reader cannot find a citation in the list by its text; and
it prints ``edition = {2}`` as "2 edition". This style labels each entry as it is
cited (one author, two joined by "and", three or more "et al.", then the year;
a, b, ... when two labels coincide), sorts by author and year, and writes "2nd
edition".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pybtex.plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx

STYLE = "book_author_year"


def _surname(person: Any) -> str:
    names = person.prelast_names + person.last_names
    return re.sub(r"[{}]", "", " ".join(str(n) for n in names))


def author_year(entry: Any) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        who = entry.fields.get("organization") or entry.fields.get("key") or entry.key
    elif len(people) == 1:
        who = _surname(people[0])
    elif len(people) == 2:
        who = f"{_surname(people[0])} and {_surname(people[1])}"
    else:
        who = f"{_surname(people[0])} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries: Any) -> Any:
        entries = list(sorted_entries)
        labels = [author_year(e) for e in entries]
        repeats = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if repeats[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class BookStyle(PlainStyle):
    default_label_style = "book_author_year"
    default_sorting_style = "author_year_title"

    def format_entry(self, label: str, entry: Any, bib_data: Any = None) -> Any:
        edition = entry.fields.get("edition", "")
        if edition.isdigit():
            entry.fields["edition"] = ordinal(int(edition))
        return super().format_entry(label, entry, bib_data=bib_data)


pybtex.plugin.register_plugin("pybtex.style.labels", "book_author_year", AuthorYearLabels)
pybtex.plugin.register_plugin("pybtex.style.formatting", STYLE, BookStyle)


def setup(app: Sphinx) -> dict[str, Any]:
    return {"parallel_read_safe": True, "parallel_write_safe": True}
