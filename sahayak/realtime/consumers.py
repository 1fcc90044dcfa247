"""The agent's websocket: live conversation events, presence and typing, notifications.

One socket per open page. Presence needs no shared state: a browser that starts watching a
conversation announces itself and asks the others to answer, everyone re-announces every
20 seconds, and a browser forgets a watcher it has not heard from for a minute. That works
the same on the in-memory layer and across processes on Redis.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations.models import Conversation
from sahayak.conversations.permissions import can_view_conversation, hidden_team_ids

from . import groups

HIDDEN_TEAMS_TTL = 60.0
# An open workspace stamps its agent's last_seen_at this often (chat shows "online" by it).
SEEN_EVERY = 30.0
UNAUTHENTICATED = 4401


@database_sync_to_async
def _hidden_teams(user: User) -> set[int]:
    return set(hidden_team_ids(user))


@database_sync_to_async
def _still_active(user_id: int) -> bool:
    return User.objects.filter(pk=user_id, is_active=True).exists()


@database_sync_to_async
def _seen(user_id: int) -> None:
    User.objects.filter(pk=user_id).update(last_seen_at=timezone.now())


@database_sync_to_async
def _may_view(user: User, conversation_id: int) -> bool:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    return conversation is not None and can_view_conversation(user, conversation)


class AgentConsumer(AsyncJsonWebsocketConsumer):
    user: User
    watching: int | None = None
    hidden: set[int]
    hidden_at = 0.0
    seen_at = float("-inf")

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.user = user
        self.hidden = await _hidden_teams(user)
        self.hidden_at = time.monotonic()
        await self.channel_layer.group_add(groups.AGENTS, self.channel_name)
        await self.channel_layer.group_add(groups.user(user.pk), self.channel_name)
        await self.accept()
        await self._still_here()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        await self._unwatch()
        await self.channel_layer.group_discard(groups.AGENTS, self.channel_name)
        await self.channel_layer.group_discard(groups.user(self.user.pk), self.channel_name)

    # --- from the browser ---------------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        await self._still_here()
        if kind == "watch":
            await self._watch(content.get("conversation_id"))
        elif kind == "unwatch":
            await self._unwatch()
        elif kind in ("viewing", "typing") and self.watching is not None:
            await self._announce(kind)
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def _watch(self, conversation_id: Any) -> None:
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            return
        if conversation_id == self.watching:
            return
        await self._unwatch()
        if not await _may_view(self.user, conversation_id):
            await self.send_json({"type": "error", "detail": "not allowed"})
            return
        self.watching = conversation_id
        await self.channel_layer.group_add(groups.conversation(conversation_id), self.channel_name)
        await self._announce("viewing", hello=True)

    async def _unwatch(self) -> None:
        if self.watching is None:
            return
        await self._announce("left")
        await self.channel_layer.group_discard(
            groups.conversation(self.watching), self.channel_name
        )
        self.watching = None

    async def _announce(self, state: str, hello: bool = False) -> None:
        assert self.watching is not None
        await self.channel_layer.group_send(
            groups.conversation(self.watching),
            {
                "type": "presence",
                "conversation_id": self.watching,
                "user_id": self.user.pk,
                "name": str(self.user),
                "state": state,
                "hello": hello,
                "sender": self.channel_name,
            },
        )

    async def _still_here(self) -> None:
        if time.monotonic() - self.seen_at > SEEN_EVERY:
            self.seen_at = time.monotonic()
            await _seen(self.user.pk)

    # --- from the channel layer --------------------------------------------------------

    async def conversation_event(self, event: dict[str, Any]) -> None:
        if not await self._visible(event.get("team_id"), event.get("assignee_id")):
            return
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "event"})

    async def presence(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name or event["conversation_id"] != self.watching:
            return
        if event["hello"]:  # a newcomer asks who is here: answer it
            await self._announce("viewing")
        await self.send_json(
            {
                "type": "presence",
                "conversation_id": event["conversation_id"],
                "user_id": event["user_id"],
                "name": event["name"],
                "state": event["state"],
                "sender": event["sender"][-12:],
            }
        )

    async def access_changed(self, event: dict[str, Any]) -> None:
        """The agent's teams or account changed: what this socket may receive is
        re-read now (a deactivated agent's socket is closed), not at the next refresh."""
        if not await _still_active(self.user.pk):
            await self.close(code=UNAUTHENTICATED)
            return
        self.hidden = await _hidden_teams(self.user)
        self.hidden_at = time.monotonic()

    async def notification(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "notify"})

    async def _visible(self, team_id: int | None, assignee_id: int | None) -> bool:
        if team_id is None or assignee_id == self.user.pk:
            return True
        if time.monotonic() - self.hidden_at > HIDDEN_TEAMS_TTL:
            self.hidden = await _hidden_teams(self.user)
            self.hidden_at = time.monotonic()
        return team_id not in self.hidden
