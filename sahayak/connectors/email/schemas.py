"""API shapes of the email channel: mailboxes and raw-message delivery."""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from sahayak.api.schemas import Id


class EmailInboundOut(Schema):
    status: Literal["stored", "duplicate", "report", "side"]
    message_id: int | None
    conversation_id: int | None


class MailServerIn(Schema):
    host: str = Field(..., min_length=1, max_length=255)
    port: int = Field(..., ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = Field("", max_length=255)
    password: str = Field("", max_length=255, description="Leave empty to keep the stored one.")


class MailServerOut(Schema):
    host: str
    port: int
    security: str
    username: str


class MailboxIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    address: str = Field(..., max_length=320, examples=["support@example.com"])
    aliases: list[str] = Field(default_factory=list, max_length=20)
    from_name: str = Field("", max_length=120)
    team_id: Id | None = None
    on_closed: Literal["reopen", "new"] = "reopen"
    auto_reply: bool = False
    subject_threading: bool = True
    subject_window_days: int = Field(7, ge=1, le=365)
    imap: MailServerIn | None = None
    imap_folder: str = Field("INBOX", max_length=120)
    imap_after: Literal["flag", "move"] = "flag"
    imap_move_to: str = Field("Sahayak", max_length=120)
    smtp: MailServerIn | None = None
    is_active: bool = True


class MailboxOut(Schema):
    id: int
    name: str
    address: str
    aliases: list[str]
    from_name: str
    team_id: int | None
    on_closed: str
    auto_reply: bool
    subject_threading: bool
    subject_window_days: int
    imap: MailServerOut | None
    imap_folder: str
    imap_after: str
    imap_move_to: str
    smtp: MailServerOut | None
    is_active: bool
