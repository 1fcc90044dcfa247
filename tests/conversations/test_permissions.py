"""Private teams: only members, assignees, supervisors and admins see their conversations."""

import pytest

from sahayak.accounts.models import Role
from sahayak.conversations.permissions import can_view_conversation, visible_conversations
from tests.factories import ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_private_team_conversations_are_hidden_from_outsiders(
    private_team, teammate, outsider, admin
):
    secret = ConversationFactory(team=private_team)
    public = ConversationFactory()
    assert set(visible_conversations(outsider)) == {public}
    assert set(visible_conversations(teammate)) == {secret, public}
    assert set(visible_conversations(admin)) == {secret, public}
    assert not can_view_conversation(outsider, secret)
    assert can_view_conversation(teammate, secret)


def test_assignee_sees_a_private_conversation_given_to_them(private_team, outsider):
    conv = ConversationFactory(team=private_team, assignee=outsider)
    assert list(visible_conversations(outsider)) == [conv]
    assert can_view_conversation(outsider, conv)


def test_supervisors_see_everything(private_team):
    supervisor = UserFactory(role=Role.SUPERVISOR)
    conv = ConversationFactory(team=private_team)
    assert can_view_conversation(supervisor, conv)
