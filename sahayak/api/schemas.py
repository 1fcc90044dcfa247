"""Request and response shapes of API v1."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel

from sahayak.ids import MAX_ID  # noqa: F401 - re-exported for the routers

# Every id the API accepts: positive and within the database's 64-bit keys.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Error(Schema):
    detail: Any


class IdentityIn(Schema):
    kind: str = Field(..., max_length=16, examples=["email"])
    address: str = Field(..., max_length=320, examples=["asha@example.com"])


class IdentityOut(Schema):
    id: int
    kind: str
    address: str
    verified: bool


class ContactIn(Schema):
    name: str = Field("", max_length=200)
    locale: str = Field("", max_length=16)
    time_zone: str = Field("", max_length=64)
    organization_id: Id | None = None
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)


class ContactPatch(Schema):
    name: str | None = Field(None, max_length=200)
    locale: str | None = Field(None, max_length=16)
    time_zone: str | None = Field(None, max_length=64)
    organization_id: Id | None = None
    custom_attributes: dict[str, Any] | None = None
    add_identities: list[IdentityIn] = Field(default_factory=list, max_length=50)


class ContactOut(Schema):
    id: int
    name: str
    locale: str
    time_zone: str
    organization_id: int | None
    custom_attributes: dict[str, Any]
    identities: list[IdentityOut]
    merged_into_id: int | None
    created_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class MergeIn(Schema):
    source_id: Id


class MergeOut(Schema):
    merge_id: int
    target_id: int
    source_id: int


class OrganizationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    domain: str = Field("", max_length=200)
    custom_attributes: dict[str, Any] = Field(default_factory=dict)


class OrganizationOut(Schema):
    id: int
    name: str
    domain: str
    custom_attributes: dict[str, Any]
    created_at: datetime


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class OrderIn(Schema):
    contact_id: Id
    external_ref: str = Field(..., min_length=1, max_length=120)
    amount: Decimal = Field(..., max_digits=14, decimal_places=2)
    currency: str = Field(..., min_length=3, max_length=3)
    ordered_at: datetime
    status: str = Field("", max_length=40)
    items: list[Any] = Field(default_factory=list)


class OrderOut(Schema):
    id: int
    contact_id: int
    external_ref: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    status: str
    items: list[Any]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class ImportOut(Schema):
    created: int
    updated: int
    errors: list[str]


class ContactRef(BaseModel):
    id: int
    name: str


class ConversationOut(BaseModel):
    """Built from ``.values()`` rows (see ``api/routers/conversations.py``): plain pydantic
    validates dicts far faster than ninja's attribute getter does ORM objects."""

    id: int
    number: int
    subject: str
    status: str
    priority: str
    channel: str
    inbox_id: int
    contact: ContactRef
    assignee_id: int | None
    team_id: int | None
    tags: list[str]
    language: str
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None
    waiting_since: datetime | None
    first_response_at: datetime | None
    reply_failed: bool = False
    solved_at: datetime | None
    merged_into_id: int | None
    snoozed_until: datetime | None = None


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    direction: str
    channel: str
    author_user_id: int | None
    author_contact_id: int | None
    text: str
    html: str
    external_id: str | None
    delivery_status: str
    delivery_error: str
    created_at: datetime
    sent_at: datetime | None
    attachments: list[AttachmentOut]


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class EventOut(Schema):
    id: int
    kind: str
    actor_id: int | None
    data: dict[str, Any]
    created_at: datetime


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]
    messages_next_cursor: str | None
    related_ids: list[int]


class InboxOut(Schema):
    id: int
    name: str
    channel: str
    team_id: int | None
    public_key: str
    is_active: bool


class SenderIn(Schema):
    kind: str = Field("email", max_length=16)
    address: str = Field(..., min_length=1, max_length=320)
    name: str = Field("", max_length=200)


class ConversationCreate(Schema):
    inbox_id: Id
    contact_id: Id | None = None
    sender: SenderIn | None = None
    subject: str = Field("", max_length=300)
    text: str = ""
    html: str = ""
    external_id: str | None = Field(None, min_length=1, max_length=255)
    locale: str = Field("", max_length=16)
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    tags: list[str] = Field(default_factory=list, max_length=50)
    assignee_id: Id | None = None
    team_id: Id | None = None


class ConversationPatch(Schema):
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"] | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    tags: list[str] | None = Field(None, max_length=50)
    custom_fields: dict[str, Any] | None = None


class ReplyIn(Schema):
    text: str = ""
    html: str = ""
    note: bool = False
    channel: str | None = Field(None, max_length=32)


class RetryIn(Schema):
    channel: str | None = Field(None, max_length=32)


class SnoozeIn(Schema):
    until: datetime


class ConversationMergeIn(Schema):
    source_id: Id


class LinkIn(Schema):
    other_id: Id


class InboundIn(Schema):
    inbox_id: Id
    sender: SenderIn
    text: str = ""
    html: str = ""
    subject: str = Field("", max_length=300)
    external_id: str = Field(..., min_length=1, max_length=255)
    conversation_id: Id | None = None
    thread_key: str = Field("", max_length=255)
    references: list[str] = Field(default_factory=list, max_length=100)
    locale: str = Field("", max_length=16)
    metadata: dict[str, Any] = Field(default_factory=dict)


class InboundOut(Schema):
    message_id: int
    conversation_id: int
    contact_id: int
    duplicate: bool


class InboundBatchIn(Schema):
    messages: list[InboundIn] = Field(..., min_length=1, max_length=100)


class InboundItemOut(Schema):
    """One message of a batch: ``status`` is what a single delivery would have answered
    (201 stored, 200 a duplicate, 404 or 422 refused, with ``error`` saying why)."""

    status: int
    message_id: int | None = None
    conversation_id: int | None = None
    contact_id: int | None = None
    duplicate: bool = False
    error: str = ""


class InboundBatchOut(Schema):
    results: list[InboundItemOut]


# --- Knowledge base -------------------------------------------------------------------------


class TranslationIn(Schema):
    locale: str = Field(max_length=16)
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=200_000, description="Markdown (sanitized when rendered)")
    summary: str = Field("", max_length=300)
    status: Literal["draft", "published", "archived"] | None = None


class TranslationOut(Schema):
    id: int
    locale: str
    title: str
    body: str
    body_html: str
    summary: str
    slug: str
    status: str
    published_at: datetime | None
    updated_at: datetime
    helpful_yes: int
    helpful_no: int
    url: str


class ArticleIn(Schema):
    section_id: int | None = Field(None, ge=1, le=MAX_ID)
    visibility: Literal["public", "internal"] = "public"
    tags: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=50)
    video_url: str = Field("", max_length=500)
    translations: list[TranslationIn] = Field(min_length=1, max_length=50)


class ArticlePatch(Schema):
    section_id: int | None = Field(None, ge=1, le=MAX_ID)
    visibility: Literal["public", "internal"] | None = None
    tags: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=50)
    video_url: str | None = Field(None, max_length=500)
    translations: list[TranslationIn] = Field(default_factory=list, max_length=50)


class ArticleOut(Schema):
    id: int
    section_id: int | None
    visibility: str
    tags: list[str]
    video_url: str
    created_at: datetime
    updated_at: datetime
    translations: list[TranslationOut]


class ArticlePage(Schema):
    items: list[ArticleOut]
    next_cursor: str | None


class PublishIn(Schema):
    locales: list[Annotated[str, Field(max_length=16)]] = Field(default_factory=list, max_length=50)


class VersionOut(Schema):
    number: int
    locale: str
    title: str
    body: str
    status: str
    author_id: int | None
    note: str
    created_at: datetime


class ArticleLinkIn(Schema):
    conversation_id: int = Field(ge=1, le=MAX_ID)


class ArticleHit(Schema):
    article_id: int
    translation_id: int
    locale: str
    title: str
    status: str
    visibility: str
    score: float
    title_html: str
    snippet_html: str
    url: str


class MessageHit(Schema):
    message_id: int
    conversation_id: int
    direction: str
    channel: str
    created_at: datetime
    score: float
    snippet_html: str


LocalizedNames = Annotated[
    dict[Annotated[str, Field(max_length=16)], Annotated[str, Field(max_length=200)]],
    Field(min_length=1, max_length=50, description='Per language, e.g. {"en": "Billing"}'),
]


class SectionIn(Schema):
    names: LocalizedNames
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[-\w]+$")
    position: int = Field(0, ge=0, le=1_000_000)


class SectionOut(Schema):
    id: int
    category_id: int
    names: dict[str, str]
    slug: str
    position: int


class CategoryIn(Schema):
    names: LocalizedNames
    descriptions: dict[str, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=50
    )
    slug: str = Field(min_length=1, max_length=80, pattern=r"^[-\w]+$")
    position: int = Field(0, ge=0, le=1_000_000)


class CategoryOut(Schema):
    id: int
    names: dict[str, str]
    descriptions: dict[str, str]
    slug: str
    position: int
    sections: list[SectionOut]
