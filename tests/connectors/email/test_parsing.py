"""Parsing survives what real mail does: wrong charsets, raw 8-bit, split encoded words,
HTML only, inline images, forwarded mails, truncated MIME."""

from __future__ import annotations

from pathlib import Path

from sahayak.connectors.email.parsing import parse_message
from sahayak.connectors.email.quotes import fold_offset, split_quoted
from sahayak.connectors.email.thread_ids import (
    conversation_from_token,
    reply_token,
    strip_subject,
    thread_index_root,
)

from . import corpus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_invalid_bytes_for_the_declared_charset_are_read_as_what_they_are() -> None:
    parsed = parse_message(corpus.windows_1252_declared_utf8())
    assert "n°42 coûte 30 € — merci de vérifier la TVA s’il vous plaît" in parsed.text
    assert "\ufffd" not in parsed.text


def test_raw_greek_8bit_body_and_subject() -> None:
    parsed = parse_message(corpus.greek_8bit())
    assert parsed.subject == "Εισιτήριο ακυρώθηκε"
    assert parsed.from_name == "Γιώργος"
    assert "το εισιτήριό μου ακυρώθηκε" in parsed.text


def test_encoded_words_split_inside_a_character_and_rfc2231_filename() -> None:
    parsed = parse_message(corpus.encoded_headers())
    assert parsed.subject == "ऑर्डर की स्थिति"
    assert parsed.from_name == "प्रिया शर्मा"
    assert parsed.text == "मेरा ऑर्डर कहाँ है?"
    assert [a.filename for a in parsed.attachments] == ["बिल.pdf"]
    assert parsed.attachments[0].content.startswith(b"%PDF")


def test_html_only_mail_keeps_html_and_its_inline_image() -> None:
    parsed = parse_message(corpus.html_only())
    assert parsed.text == ""
    assert "crushed" in parsed.html
    (image,) = parsed.attachments
    assert image.content_id == "photo1@mail.example" and image.inline


def test_alternative_keeps_both_versions_once() -> None:
    parsed = parse_message(corpus.alternative())
    assert parsed.text == "Plain version"
    assert parsed.html == "<p>HTML <i>version</i></p>"


def test_forwarded_message_becomes_an_eml_attachment() -> None:
    parsed = parse_message(corpus.forwarded_eml())
    assert parsed.text == "See the forwarded mail below."
    (eml,) = parsed.attachments
    assert eml.filename == "Your invoice.eml" and eml.content_type == "message/rfc822"
    assert b"Invoice attached." in eml.content


def test_truncated_mime_yields_what_could_be_read() -> None:
    parsed = parse_message(corpus.truncated_mime())
    assert parsed.text == "The text survives."
    assert parsed.attachments[0].filename == "data.bin"
    assert parsed.defects


def test_garbage_parses_without_raising_and_gets_a_stable_id() -> None:
    first = parse_message(corpus.garbage())
    again = parse_message(corpus.garbage())
    assert first.synthetic_id and first.message_id == again.message_id
    assert first.from_address == ""


def test_loops_and_lists_are_recognized() -> None:
    assert parse_message(corpus.auto_reply()).automated.startswith("auto-submitted")
    assert parse_message(corpus.bulk()).automated == "precedence: bulk"
    assert parse_message(corpus.dsn("x@shop.example")).automated.startswith("sender:")
    assert parse_message(corpus.plain()).automated == ""


def test_delivery_status_notification_is_read() -> None:
    report = parse_message(corpus.dsn("sahayak.1.2.abc@shop.example")).report
    assert report is not None
    assert report.original_message_id == "sahayak.1.2.abc@shop.example"
    assert report.action == "failed" and report.status == "5.1.1"
    assert "user unknown" in report.diagnostic


def test_reply_prefixes_in_many_languages_are_stripped() -> None:
    for subject in (
        "Re: RE: Fwd: Order 5",
        "AW: WG: Order 5",
        "ΑΠ: ΣΧΕΤ: Order 5",
        "Réf. : Order 5".replace("Réf. ", "TR "),
        "回复：Order 5",
        "Re[2]: Order 5 [#77]",
    ):
        assert strip_subject(subject) == ("Order 5", True), subject
    assert strip_subject("Order 5") == ("Order 5", False)


def test_reply_token_is_signed() -> None:
    token = reply_token(42)
    assert conversation_from_token(token) == 42
    assert conversation_from_token(token.replace("c42", "c43")) is None
    assert conversation_from_token("c42-aaaaaaaaaaaaaaaa") is None


def test_thread_index_root_is_shared_by_replies() -> None:
    root = bytes(range(22))
    assert thread_index_root(corpus.thread_index(root)) == thread_index_root(
        corpus.thread_index(root, child_blocks=2)
    )
    assert thread_index_root("not base64!") == ""


def test_quoted_replies_fold_in_several_languages() -> None:
    cases = {
        "Thanks!\n\nOn Mon, 3 Nov 2026 at 10:00, Shop <s@x> wrote:\n> old": "Thanks!",
        "Merci !\n\nLe lun. 3 nov. 2026 à 10:00, Shop <s@x> a écrit :\n> old": "Merci !",
        "Ευχαριστώ\n\nΣτις Δευ 3 Νοε 2026 στις 10:00, ο/η Shop <s@x> έγραψε:\n> old": "Ευχαριστώ",
        "धन्यवाद\n\nसोम, 3 नव॰ 2026 को 10:00 am बजे Shop <s@x> ने लिखा:\n> old": "धन्यवाद",
        "ধন্যবাদ\n\nসোম, ৩ নভে, ২০২৬ এ Shop <s@x> লিখেছেন:\n> old": "ধন্যবাদ",
        "Ok\n\n-----Original Message-----\nFrom: Shop\nSent: Monday": "Ok",
        "Ok\n\nFrom: Shop <s@x>\nSent: Monday\nTo: me": "Ok",
        "See below\n\n-- \nAsha Rao\nShop Inc.": "See below",
        "Yes\n> quoted\n> more\n": "Yes",
    }
    for text, visible in cases.items():
        shown, folded = split_quoted(text, fold_offset(text))
        assert shown == visible, text
        assert folded and visible not in folded
    assert fold_offset("> only a quote") is None
    inline = "> question 1\nanswer 1\n> question 2\nanswer 2"
    assert fold_offset(inline) is None


def test_one_bad_byte_is_replaced_and_the_rest_read_in_the_declared_charset() -> None:
    parsed = parse_message(corpus.utf8_html_with_one_bad_byte())
    assert parsed.html.count("vérifier la livraison, café crème.") == 12
    assert "30 \ufffd" in parsed.html  # only the bad bytes are lost


def test_raw_utf8_attachment_names_are_read_as_utf8() -> None:
    parsed = parse_message(corpus.raw_utf8_filename())
    assert [a.filename for a in parsed.attachments] == ["चालान सूची Ημερολόγιο.pdf"]
    assert parsed.attachments[0].content == b"%PDF-1.4 test"


def test_a_nested_part_reusing_its_parents_boundary_keeps_the_attachment() -> None:
    raw = fixture("nested-boundary-reused.eml")
    for variant in (raw, raw.replace(b"\n", b"\r\n")):
        parsed = parse_message(variant)
        assert parsed.text == "Please find the invoice attached."
        assert parsed.html == "<p>Please find the invoice attached.</p>"
        assert [(a.filename, a.content) for a in parsed.attachments] == [
            ("invoice.pdf", b"%PDF-1.4 test")
        ]


def test_the_stand_in_id_of_a_mail_without_message_id_ignores_transport_changes() -> None:
    raw = corpus.no_message_id()
    lf = raw.replace(b"\r\n", b"\n")
    relayed = b"Received: from mx by imap; Fri, 20 Nov 2026 10:00:05 +0000\r\n" + raw
    ids = {parse_message(r).message_id for r in (raw, lf, relayed)}
    assert len(ids) == 1
    other = corpus.no_message_id().replace(b"without an id", b"with no id")
    assert parse_message(other).message_id not in ids
