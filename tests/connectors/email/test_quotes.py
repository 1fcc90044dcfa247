"""Quote folding on a corpus of replies from many clients and languages: the customer's own
words (including answers written between and after quoted lines) always stay shown."""

from __future__ import annotations

import json
from pathlib import Path

from sahayak.connectors.email.quotes import quote_spans
from sahayak.conversations.text import folded_segments

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "replies"


def shown_and_folded(text: str) -> tuple[str, str]:
    parts = folded_segments(text, [list(s) for s in quote_spans(text)])
    return (
        "\n".join(p for p, folded in parts if not folded),
        "\n".join(p for p, folded in parts if folded),
    )


def test_every_reply_in_the_corpus_folds_only_its_quotes(capsys: object) -> None:
    expected = json.loads((CORPUS / "expected.json").read_text())
    failures = []
    for name, want in sorted(expected.items()):
        shown, folded = shown_and_folded((CORPUS / name).read_text())
        missing = [w for w in want["shown"] if w not in shown]
        unfolded = [w for w in want["folded"] if w not in folded]
        if missing or unfolded or (not want["folded"] and folded):
            failures.append(f"{name}: hidden {missing}, not folded {unfolded}")
    rate = 1 - len(failures) / len(expected)
    print(f"quote folding: {len(expected) - len(failures)}/{len(expected)} ({rate:.0%})")
    assert not failures, "\n".join(failures)


def test_text_after_a_quote_and_inline_answers_stay_visible() -> None:
    shown, folded = shown_and_folded(
        "See below.\n\nOn Mon, 3 Nov 2026, Shop <s@x> wrote:\n> a\n> b\n> c\n> d\n\nCheers, Asha"
    )
    assert "Cheers, Asha" in shown and "See below." in shown
    assert "> a" in folded and "Cheers" not in folded
    shown, folded = shown_and_folded("> question 1\nanswer 1\n> question 2\nanswer 2")
    assert folded == "" and "answer 2" in shown
