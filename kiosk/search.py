"""Word-prefix search over folded text, fast enough to rerun on every keystroke of the kiosk's touch keyboard.

Each document is folded once (see :func:`kiosk.text.fold`) into a name part, a meta part (field, code) and a
papers part. A query matches when every query word starts some word of the document, so "dang ky kh" already
finds "Đăng ký khai sinh" while typing. Ranking, best first:

0. the whole query is the whole name; 1. the name starts with the query; 2. the query is a phrase in the name;
3. every word is in the name; 4. every word is in name + field/code; 5. some words only in the papers list.
Ties go to the shorter name, then to catalogue order.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.text import fold


class SearchIndex:
    def __init__(self, documents: Sequence[tuple[str, str, str]]) -> None:
        # A leading space lets " word" test "some word starts with this" with one substring search.
        self._names = [" " + fold(name) for name, _, _ in documents]
        self._meta = [" " + fold(name) + " " + fold(meta) for name, meta, _ in documents]
        self._all = [m + " " + fold(papers) for m, (_, _, papers) in zip(self._meta, documents, strict=True)]

    def search(self, query: str, limit: int | None = None) -> list[int]:
        folded = fold(query)
        if not folded:
            return []
        words = [" " + w for w in folded.split()]
        phrase = " " + folded
        ranked: list[tuple[int, int, int]] = []
        for i, text in enumerate(self._all):
            if not all(w in text for w in words):
                continue
            name = self._names[i]
            if all(w in name for w in words):
                if name == phrase:
                    tier = 0
                elif name.startswith(phrase):
                    tier = 1
                elif phrase in name:
                    tier = 2
                else:
                    tier = 3
            else:
                tier = 4 if all(w in self._meta[i] for w in words) else 5
            ranked.append((tier, len(name), i))
        ranked.sort()
        hits = [i for _, _, i in ranked]
        return hits if limit is None else hits[:limit]
