"""The canned-reply picker of the reply box: matches rendered for this customer, the
fallback note and missing values shown before inserting, permission checks."""

from __future__ import annotations

from sahayak.automation import canned, macros
from sahayak.automation.models import CannedReply, Macro
from tests.factories import ContactFactory, ConversationFactory, UserFactory

from .conftest import signed_in


def test_picker_lists_matches_in_the_customers_language_with_notes_and_gaps(web, admin):
    canned.save_reply(
        CannedReply(title="Refund policy", shortcut="ref"),
        [("en", "Hi {{ customer.first_name }}, order {{ order.latest.reference }}")],
    )
    canned.save_reply(CannedReply(title="Shipping times", shortcut="ship"), [("en", "x")])
    conversation = ConversationFactory(contact=ContactFactory(name="দীপা সেন", locale="bn"))
    page = web.get(f"/c/{conversation.pk}/canned/?q=ref", HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Refund policy" in html and "Shipping times" not in html
    assert 'data-insert="Hi দীপা, order "' in html
    assert "canned-note" in html and "canned-missing" in html and "order.latest.reference" in html
    reply = CannedReply.objects.get(shortcut="ref")
    assert web.post(f"/c/{conversation.pk}/canned/{reply.pk}/used/").status_code == 204
    assert CannedReply.objects.get(pk=reply.pk).usage_count == 1


def test_picker_of_a_conversation_one_may_not_see_is_not_found(outsider, private_team):
    hidden = ConversationFactory(team=private_team)
    client = signed_in(outsider)
    assert client.get(f"/c/{hidden.pk}/canned/?q=x").status_code == 404


def test_macros_are_offered_and_run_from_the_conversation_page(web, admin):
    macro = macros.save_macro(
        Macro(name="Solve with note"),
        [{"type": "note", "text": "Done: {{ fields.why }}"}, {"type": "status", "value": "solved"}],
        [{"name": "why", "label": "Why"}],
    )
    conversation = ConversationFactory()
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "Solve with note" in page and 'name="field-why"' in page
    url = f"/c/{conversation.pk}/macros/{macro.pk}/"
    missing = web.post(url, {"field-why": ""}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 422 and "Why" in missing.content.decode()
    done = web.post(url, {"field-why": "paid"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and "sahayak:changed" in done["HX-Trigger"]
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert conversation.messages.get().text == "Done: paid"


def test_another_agents_own_macro_cannot_be_run(outsider):
    theirs = macros.save_macro(
        Macro(name="Private", owner=outsider), [{"type": "status", "value": "solved"}], []
    )
    conversation = ConversationFactory()
    client = signed_in(UserFactory(role="admin"))
    assert client.post(f"/c/{conversation.pk}/macros/{theirs.pk}/").status_code == 404
