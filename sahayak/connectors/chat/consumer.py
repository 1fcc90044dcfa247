"""The visitor's websocket (``/ws/chat/<public key>/``): a thin transport over services.

Protocol, JSON both ways. The widget opens with ``hello`` (its token if it has one, where
the visitor is, optionally a signed identity and the last message id it shows) and gets
``welcome`` (a token for a new visitor, the history or what it missed, whether an agent is
there). ``message`` carries the browser's own id; the ``ack`` names the stored message, and
a message sent again after a dropped socket is acknowledged again but stored once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sahayak.clientip import scope_client_address
from sahayak.contacts.attributes import invalid_text
from sahayak.conversations import events
from sahayak.conversations.inbound import InboundRejected
from sahayak.conversations.models import Inbox
from sahayak.realtime import groups
from sahayak.realtime.db import in_db_pool

from . import services
from .config import origin_allowed
from .live import visitor_group
from .models import ChatSession

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
NOT_FOUND = 4404
TOUCH_EVERY = 30.0


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    inbox: Inbox
    session: ChatSession | None = None
    conversation_id: int | None = None
    touched_at = 0.0

    async def connect(self) -> None:
        public_key = self.scope["url_route"]["kwargs"]["public_key"]
        inbox = await in_db_pool(services.find_inbox)(public_key)
        if inbox is None:
            await self.close(code=NOT_FOUND)
            return
        origin, host = _header(self.scope, b"origin"), _header(self.scope, b"host")
        if not origin_allowed(inbox, origin, host):
            await self.close(code=FORBIDDEN)
            return
        self.inbox = inbox
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.channel_layer.group_discard(
                visitor_group(self.session.public_id), self.channel_name
            )
        await self._follow(None)

    # --- from the widget ---------------------------------------------------------------

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        """Malformed JSON (or invalid Unicode) from a widget is answered with an error, not a
        closed socket."""
        try:
            content = json.loads(text_data)
        except (TypeError, ValueError):
            return None
        # JSON can spell a lone surrogate, which no page could show: refused like bad JSON.
        return None if invalid_text(content) else content

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self._error("invalid", _("A message must be a JSON object."))
            return
        kind = content.get("type")
        if kind == "hello":
            await self._hello(content)
            return
        if self.session is None:
            await self._error("hello_first", _("Say hello first."))
            return
        handler = {
            "message": self._message,
            "typing": self._typing,
            "read": self._read,
            "details": self._details,
            "transcript": self._transcript,
            "ping": self._ping,
        }.get(str(kind))
        if handler is not None:
            await handler(content)

    async def _hello(self, content: dict[str, Any]) -> None:
        context = content.get("context")
        locale = services.supported_language(
            context.get("locale") if isinstance(context, dict) else ""
        )
        with translation.override(locale or "en"):
            try:
                welcome = await in_db_pool(self._open)(content)
            except services.ChatError as exc:
                await self._error(exc.code, str(exc))
                return
        assert self.session is not None
        await self.channel_layer.group_add(visitor_group(self.session.public_id), self.channel_name)
        await self._follow(self.session.conversation_id)
        await self.send_json(welcome)

    def _open(self, content: dict[str, Any]) -> dict[str, Any]:
        context = services.clean_context(content.get("context"))
        session = services.resume_session(inbox=self.inbox, token=content.get("token", ""))
        token = None
        if session is None:
            session, token = services.start_session(
                inbox=self.inbox, context=context, ip=scope_client_address(self.scope)
            )
        identity = content.get("identity")
        if isinstance(identity, dict) and identity.get("user_id"):
            session, token = self._identify(session, token, identity, context)
        services.touch(session, context)
        self.session = session
        after = content.get("after")
        after = after if isinstance(after, int) and not isinstance(after, bool) else 0
        return {
            "type": "welcome",
            "token": token,
            "visitor": {"name": session.contact.name, "email": services.reply_email(session)},
            "verified": bool(session.verified_user_id),
            "agents_online": services.agents_available(self.inbox),
            "messages": [
                services.serialize(session, m) for m in services.history(session, after=after)
            ],
            "full": not after or token is not None,
        }

    def _identify(
        self,
        session: ChatSession,
        token: str | None,
        identity: dict[str, Any],
        context: dict[str, str],
    ) -> tuple[ChatSession, str | None]:
        kwargs = {
            "user_id": str(identity.get("user_id", "")),
            "signature": str(identity.get("signature", "")),
            "email": str(identity.get("email", "") or ""),
            "name": str(identity.get("name", "") or ""),
        }
        try:
            return services.identify(session=session, **kwargs), token
        except services.ChatError as exc:
            if exc.code != "switch_user":
                raise
        # Another user signed in on this browser: a fresh session, never the old history.
        session, token = services.start_session(
            inbox=self.inbox, context=context, ip=scope_client_address(self.scope)
        )
        return services.identify(session=session, **kwargs), token

    async def _message(self, content: dict[str, Any]) -> None:
        client_id = content.get("client_id")
        loop = asyncio.get_running_loop()
        try:
            await in_db_pool(self._store)(content, loop)
        except (services.ChatError, InboundRejected) as exc:
            code = getattr(exc, "code", "invalid")
            await self._error(code, str(exc), client_id=client_id)
            return
        except Exception:
            logger.exception("chat message from %s could not be stored", self._public_id())
            await self._error("retry", _("Could not be stored; it will be sent again."), client_id)
            return

    async def _acknowledge(self, client_id: Any, conversation_id: int, message: Any) -> None:
        await self._follow(conversation_id)
        await self.send_json({"type": "ack", "client_id": client_id, "message": message})
        # The visitor's other tabs show it too.
        await self.channel_layer.group_send(
            visitor_group(self._public_id()),
            {"type": "visitor.push", "payload": message, "skip": self.channel_name},
        )

    def _store(self, content: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        """Store the message; once it is committed the visitor gets the ack (on the event
        loop) while this thread goes on to announce it to agents, routing and rules."""
        session = self._session()
        if services.rate_limited(session, scope_client_address(self.scope)):
            raise services.ChatError(_("Too many messages; please wait a moment."), "rate")
        with events.held() as committed:
            result = services.post_message(
                session=session,
                client_id=content.get("client_id", ""),
                text=content.get("text", ""),
            )
        message = services.serialize(session, result.message)
        acknowledged = asyncio.run_coroutine_threadsafe(
            self._acknowledge(content.get("client_id"), result.conversation.pk, message), loop
        )
        events.announce(committed)
        try:
            acknowledged.result(timeout=30)  # the ack goes before the next message's
        except Exception:  # the visitor left meanwhile: the message is stored all the same
            logger.info("ack to %s not sent", self._public_id(), exc_info=True)

    async def _typing(self, content: dict[str, Any]) -> None:
        if self.conversation_id is None:
            return
        await self.channel_layer.group_send(
            groups.conversation(self.conversation_id),
            {
                "type": "presence",
                "conversation_id": self.conversation_id,
                "user_id": None,
                "name": self._session().contact.name or _("Visitor"),
                "state": "typing",
                "hello": False,
                "sender": self.channel_name,
            },
        )

    async def _read(self, content: dict[str, Any]) -> None:
        up_to = content.get("up_to")
        if isinstance(up_to, int) and not isinstance(up_to, bool):
            await in_db_pool(services.mark_read)(self._session(), up_to)

    async def _details(self, content: dict[str, Any]) -> None:
        try:
            await in_db_pool(services.update_details)(
                session=self._session(),
                name=str(content.get("name") or ""),
                email=str(content.get("email") or ""),
            )
        except services.ChatError as exc:
            await self._error(exc.code, str(exc))
            return
        await self.send_json({"type": "details_saved"})

    async def _transcript(self, content: dict[str, Any]) -> None:
        try:
            await in_db_pool(services.request_transcript)(
                session=self._session(), email=str(content.get("email") or "")
            )
        except services.ChatError as exc:
            await self._error(exc.code, str(exc))
            return
        await self.send_json({"type": "transcript_sent"})

    async def _ping(self, content: dict[str, Any]) -> None:
        now = timezone.now().timestamp()
        if now - self.touched_at > TOUCH_EVERY:
            self.touched_at = now
            online = await in_db_pool(self._heartbeat)()
            await self.send_json({"type": "pong", "agents_online": online})
        else:
            await self.send_json({"type": "pong"})

    def _heartbeat(self) -> bool:
        services.touch(self._session())
        return services.agents_available(self.inbox)

    # --- from the channel layer --------------------------------------------------------

    async def visitor_push(self, event: dict[str, Any]) -> None:
        if event.get("skip") != self.channel_name:
            await self.send_json({"type": "message", "message": event["payload"]})

    async def presence(self, event: dict[str, Any]) -> None:
        """An agent viewing or typing in this conversation (the agents' presence events)."""
        if event.get("user_id") is None or event.get("conversation_id") != self.conversation_id:
            return
        name = str(event["name"])  # the agent's full name, never their address
        name = _("Agent") if "@" in name or not name.strip() else name.split()[0]
        await self.send_json({"type": "agent", "state": event["state"], "name": name})

    async def conversation_event(self, event: dict[str, Any]) -> None:
        """Agents' conversation events also reach this group; the widget needs none."""

    # --- helpers -------------------------------------------------------------------------

    def _session(self) -> ChatSession:
        assert self.session is not None
        return self.session

    def _public_id(self) -> str:
        return self._session().public_id

    async def _follow(self, conversation_id: int | None) -> None:
        """Listen to the conversation the visitor is in now (agents' typing)."""
        if conversation_id == self.conversation_id:
            return
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(
                groups.conversation(self.conversation_id), self.channel_name
            )
        self.conversation_id = conversation_id
        if conversation_id is not None:
            await self.channel_layer.group_add(
                groups.conversation(conversation_id), self.channel_name
            )

    async def _error(self, code: str, detail: str, client_id: Any = None) -> None:
        await self.send_json(
            {"type": "error", "code": code, "detail": detail, "client_id": client_id}
        )
