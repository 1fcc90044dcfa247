"""The conversation view: timeline, reply and note, properties, merge and link, permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sahayak.contacts.models import Contact, ContactMerge
from sahayak.conversations.models import Conversation, ConversationMerge, Direction, Message
from sahayak.notifications.models import Notification
from tests.factories import (
    ConversationFactory,
    IdentityFactory,
    MessageFactory,
    UserFactory,
)

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def test_page_shows_timeline_customer_profile_and_other_conversations(web):
    identity = IdentityFactory(address="meera@mail.example")
    contact = identity.contact
    contact.time_zone = "Asia/Kolkata"
    contact.save()
    conversation = ConversationFactory(contact=contact, subject="Where is my parcel")
    MessageFactory(conversation=conversation, text="It has been a week <b>already</b>")
    earlier = ConversationFactory(contact=contact, subject="Earlier question", channel="sms")
    body = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "Where is my parcel" in body
    assert "It has been a week &lt;b&gt;already&lt;/b&gt;" in body  # escaped, never markup
    assert "meera@mail.example" in body
    assert f"#{earlier.pk}" in body and "Earlier question" in body
    assert "Asia/Kolkata" in body  # the customer's local time


def test_conversation_page_query_count_does_not_grow_with_messages(web):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(f"/c/{conversation.pk}/").status_code == 200
        return len(ctx)

    few = count()
    for _ in range(30):
        MessageFactory(conversation=conversation)
        ConversationFactory(contact=conversation.contact)
    assert count() == few


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/c/{id}/"),
        ("get", "/c/{id}/side/"),
        ("get", "/c/{id}/timeline/?after=0"),
        ("post", "/c/{id}/reply/"),
        ("post", "/c/{id}/update/"),
        ("post", "/c/{id}/merge/"),
    ],
)
def test_outsider_cannot_open_or_change_a_private_team_conversation(
    outsider, private_team, method, path
):
    secret = ConversationFactory(team=private_team)
    client = signed_in(outsider)
    response = getattr(client, method)(path.format(id=secret.pk), {"text": "x", "status": "closed"})
    assert response.status_code == 404
    secret.refresh_from_db()
    assert secret.status == "new"
    assert not Message.objects.filter(conversation=secret).exists()


def test_team_member_can_open_a_private_team_conversation(teammate, private_team):
    secret = ConversationFactory(team=private_team)
    assert signed_in(teammate).get(f"/c/{secret.pk}/").status_code == 200


def test_reply_is_queued_for_delivery_and_note_stays_internal(web, admin):
    conversation = ConversationFactory()
    response = web.post(
        f"/c/{conversation.pk}/reply/",
        {"text": "We are on it", "kind": "reply"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "sahayak:timeline" in response["HX-Trigger"]
    web.post(f"/c/{conversation.pk}/reply/", {"text": "Check the courier", "kind": "note"})
    reply, note = Message.objects.filter(conversation=conversation).order_by("id")
    assert reply.direction == Direction.OUTBOUND and reply.delivery_status == "pending"
    assert note.direction == Direction.NOTE and note.delivery_status == ""
    timeline = web.get(f"/c/{conversation.pk}/timeline/?after={reply.pk}").content.decode()
    assert "Check the courier" in timeline and "We are on it" not in timeline


def test_empty_reply_gets_a_clear_error(web):
    conversation = ConversationFactory()
    response = web.post(
        f"/c/{conversation.pk}/reply/", {"text": "  ", "kind": "reply"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "text" in response.content.decode()


def test_reply_on_a_channel_the_customer_cannot_be_reached_on_is_refused(web):
    conversation = ConversationFactory(channel="api")
    response = web.post(
        f"/c/{conversation.pk}/reply/",
        {"text": "hi", "kind": "reply", "channel": "telegram"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert not Message.objects.exists()


def test_mention_in_a_note_notifies_the_agent(web, admin, django_capture_on_commit_callbacks):
    priya = UserFactory(username="priya")
    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            f"/c/{conversation.pk}/reply/",
            {"text": "@priya can you check? cc @nobody", "kind": "note"},
        )
    notification = Notification.objects.get()
    assert notification.recipient == priya
    assert notification.actor == admin
    assert notification.conversation == conversation
    page = signed_in(priya).get("/notifications/").content.decode()
    assert f"#{conversation.pk}" in page


def test_mention_of_an_agent_who_cannot_see_the_conversation_is_not_sent(
    web, private_team, django_capture_on_commit_callbacks
):
    UserFactory(username="outside")
    conversation = ConversationFactory(team=private_team)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(f"/c/{conversation.pk}/reply/", {"text": "@outside look", "kind": "note"})
    assert not Notification.objects.exists()


def test_properties_change_and_are_recorded(web, admin, outsider):
    conversation = ConversationFactory()
    web.post(
        f"/c/{conversation.pk}/update/",
        {
            "status": "pending",
            "priority": "urgent",
            "assignee": outsider.pk,
            "team": "",
            "tags": "vip, Refund",
            "field_name": "order",
            "field_value": "ORD-9",
        },
    )
    conversation.refresh_from_db()
    assert conversation.status == "pending" and conversation.priority == "urgent"
    assert conversation.assignee == outsider
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["refund", "vip"]
    assert conversation.custom_fields == {"order": "ORD-9"}
    kinds = set(conversation.events.values_list("kind", flat=True))
    assert {"status", "priority", "assignee", "tags", "custom_fields"} <= kinds


def test_the_activity_list_shows_each_change_translated_with_old_and_new(web, admin, outsider):
    conversation = ConversationFactory()
    web.post(
        f"/c/{conversation.pk}/update/",
        {"status": "pending", "priority": "urgent", "assignee": outsider.pk},
    )
    admin.locale = "fr"  # the agent's own language
    admin.save(update_fields=["locale"])
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    activity = page.split('class="ev-status"', 1)[1].split("</li>", 1)[0]
    assert "Statut" in activity and "Nouveau" in activity and "En attente" in activity
    assert str(outsider) in page.split('class="ev-assignee"', 1)[1].split("</li>", 1)[0]
    assert ">status<" not in page and ">assignee<" not in page  # no raw codes


def test_bad_assignee_gets_an_error_not_a_crash(web):
    conversation = ConversationFactory()
    response = web.post(
        f"/c/{conversation.pk}/update/",
        {"assignee": "99999999999999999999"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422


def test_merge_into_another_conversation_and_undo(web):
    source = ConversationFactory()
    message = MessageFactory(conversation=source)
    target = ConversationFactory(contact=source.contact)
    response = web.post(f"/c/{source.pk}/merge/", {"target": f"#{target.pk}", "confirm": "1"})
    assert response["Location"] == f"/c/{target.pk}/"
    message.refresh_from_db()
    assert message.conversation_id == target.pk
    merge = ConversationMerge.objects.get()
    assert "Undo merge" in web.get(f"/c/{target.pk}/").content.decode()
    web.post(f"/merges/{merge.pk}/undo/")
    message.refresh_from_db()
    assert message.conversation_id == source.pk
    assert Conversation.objects.get(pk=source.pk).merged_into_id is None


def test_merge_shows_both_conversations_before_anything_moves(web):
    source = ConversationFactory(subject="Parcel late")
    MessageFactory(conversation=source)
    target = ConversationFactory(contact=source.contact, subject="Where is ORD-7")
    body = web.post(f"/c/{source.pk}/merge/", {"target": str(target.pk)}).content.decode()
    assert "Parcel late" in body and "Where is ORD-7" in body
    assert "different customers" not in body
    assert not ConversationMerge.objects.exists()


def test_merge_picker_lists_the_customers_other_conversations_and_finds_by_number(web):
    source = ConversationFactory()
    same = ConversationFactory(contact=source.contact, subject="Same customer")
    other = ConversationFactory(subject="Someone else entirely")
    body = web.get(f"/c/{source.pk}/merge/").content.decode()
    assert "Same customer" in body and "Someone else entirely" not in body
    body = web.get(f"/c/{source.pk}/merge/", {"q": f"#{other.pk}"}).content.decode()
    assert "Someone else entirely" in body and "another customer" in body
    assert f"?target={same.pk}" not in body


def test_merging_conversations_of_different_customers_needs_a_second_confirmation(web):
    source = ConversationFactory()
    target = ConversationFactory()
    body = web.get(f"/c/{source.pk}/merge/", {"target": target.pk}).content.decode()
    assert "These conversations are with different customers." in body
    web.post(f"/c/{source.pk}/merge/", {"target": target.pk, "confirm": "1"})
    assert not ConversationMerge.objects.exists()
    response = web.post(
        f"/c/{source.pk}/merge/",
        {"target": target.pk, "confirm": "1", "customers_differ": "1"},
    )
    assert response["Location"] == f"/c/{target.pk}/"
    assert Conversation.objects.get(pk=source.pk).merged_into_id == target.pk


def test_link_and_unlink_related_conversations(web):
    a, b = ConversationFactory(), ConversationFactory()
    web.post(f"/c/{a.pk}/link/", {"other": str(b.pk)})
    assert list(a.related.values_list("id", flat=True)) == [b.pk]
    web.post(f"/c/{a.pk}/unlink/{b.pk}/")
    assert not a.related.exists()


def test_contact_edit_and_merge_with_undo(web):
    keep = IdentityFactory(address="ravi@mail.example").contact
    dup = IdentityFactory(address="ravi.k@mail.example").contact
    conversation = ConversationFactory(contact=dup)
    web.post(
        f"/contacts/{keep.pk}/", {"name": "রবি কুমার", "locale": "bn", "time_zone": "Asia/Dhaka"}
    )
    keep.refresh_from_db()
    assert (keep.name, keep.locale, keep.time_zone) == ("রবি কুমার", "bn", "Asia/Dhaka")
    web.post(f"/contacts/{keep.pk}/merge/", {"other": "RAVI.K@mail.example"})
    conversation.refresh_from_db()
    assert conversation.contact_id == keep.pk
    merge = ContactMerge.objects.get()
    web.post(f"/contacts/merges/{merge.pk}/undo/")
    conversation.refresh_from_db()
    assert conversation.contact_id == dup.pk
    assert Contact.objects.get(pk=dup.pk).merged_into_id is None


def test_contact_directory_finds_by_name_in_any_script_and_by_email(web):
    IdentityFactory(address="anika@mail.example", contact__name="অনিকা রায়")
    IdentityFactory(address="eleni@mail.example", contact__name="Ελένη Παππά")
    assert "অনিকা" in web.get("/contacts/?q=অনিকা").content.decode()
    body = web.get("/contacts/?q=ελένη").content.decode()
    assert "anika@mail.example" not in body
    assert "eleni@mail.example" in web.get("/contacts/?q=ELENI@mail.example").content.decode()


def test_agent_sees_the_workspace_in_their_language_and_time_zone(admin, web):
    admin.locale, admin.time_zone = "hi", "Asia/Kolkata"
    admin.save()
    body = web.get("/").content.decode()
    assert 'lang="hi"' in body
    assert "असाइन नहीं" in body  # "Unassigned"


def test_profile_saves_language_and_time_zone(web, admin):
    response = web.post(
        "/profile/",
        {"first_name": "Asha", "last_name": "", "locale": "el", "time_zone": "Europe/Athens"},
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert (admin.locale, admin.time_zone) == ("el", "Europe/Athens")
    assert 'lang="el"' in web.get("/profile/").content.decode()


HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        "/c/{id}/?before=" + HUGE,
        "/c/{id}/timeline/?after=" + HUGE,
        "/c/{id}/?before=-5",
        "/contacts/?q=%23" + HUGE,
        "/?view=all&team=" + HUGE + "&inbox=x",
        "/notifications/?cursor=not-a-cursor",
        "/contacts/1/?cursor=not-a-cursor",
    ],
)
def test_out_of_range_numbers_and_bad_cursors_in_urls_never_crash(web, path):
    conversation = ConversationFactory(contact__pk=1)
    response = web.get(path.format(id=conversation.pk))
    assert response.status_code in (200, 302)


def test_bulk_action_with_out_of_range_ids_and_agent_is_refused_cleanly(web):
    conversation = ConversationFactory()
    response = web.post(
        "/inbox/bulk/",
        {"ids": [HUGE, str(conversation.pk)], "action": "assign", "value_assign": HUGE},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_a_note_stays_on_the_conversation_channel_whatever_is_posted(web):
    conversation = ConversationFactory(channel="api")
    response = web.post(
        f"/c/{conversation.pk}/reply/",
        {"text": "internal", "kind": "note", "channel": "x" * 500},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert Message.objects.get().channel == "api"


def test_a_notification_hides_the_subject_once_the_conversation_went_private(
    outsider, private_team, django_capture_on_commit_callbacks
):
    from sahayak.conversations.services import reply, set_team

    conversation = ConversationFactory(subject="Quarterly refund secrets")
    author = UserFactory(username="writer")
    with django_capture_on_commit_callbacks(execute=True):
        reply(conversation=conversation, author=author, text="@outsider look", note=True)
    client = signed_in(outsider)
    assert "Quarterly refund secrets" in client.get("/notifications/").content.decode()
    set_team(conversation=conversation, team=private_team, actor=None)
    page = client.get("/notifications/").content.decode()
    assert "Quarterly refund secrets" not in page and "no longer visible" in page
