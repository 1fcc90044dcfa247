"""Every mail in tests/fixtures/mail/ parses to what expected.json says, is stored once
however its line endings come, and the A <- B <- C chain ends in one conversation in every
order of arrival."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from sahayak.connectors.email.inbound import ingest
from sahayak.connectors.email.parsing import parse_message
from sahayak.connectors.email.spam import judge
from sahayak.conversations.models import Conversation, Message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())


def test_every_fixture_is_listed() -> None:
    assert {p.name for p in FIXTURES.glob("*.eml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_as_expected(name: str) -> None:
    want = EXPECTED[name]
    raw = (FIXTURES / name).read_bytes()
    parsed = parse_message(raw)
    assert parsed.from_address == want["from"]
    if "name" in want:
        assert parsed.from_name == want["name"]
    if "text" in want:
        assert want["text"] in parsed.text + parsed.html
    if "html" in want:
        assert want["html"] in parsed.html
    assert [a.filename for a in parsed.attachments] == want["attachments"]
    assert parsed.synthetic_id == want.get("synthetic_id", False)
    assert judge(parsed, raw).spam == want.get("spam", False)
    crlf = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert parse_message(crlf).message_id == parsed.message_id


@pytest.mark.django_db
@pytest.mark.parametrize("order", list(itertools.permutations("abc")))
def test_the_chain_threads_in_every_order(mailbox: Any, order: tuple[str, ...]) -> None:
    for letter in order:
        ingest((FIXTURES / f"chain-{letter}.eml").read_bytes())
    live = Conversation.objects.filter(merged_into__isnull=True)
    assert live.count() == 1 and Message.objects.filter(conversation=live.get()).count() == 3
