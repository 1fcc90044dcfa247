from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import ProtectedError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from sahayak.accounts.models import User
from sahayak.accounts.services import delete_audited
from sahayak.api.auth import current_user, require_manager
from sahayak.api.schemas import (
    MAX_ID,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    Error,
    MergeIn,
    MergeOut,
)
from sahayak.contacts import services
from sahayak.contacts.identities import normalize_address
from sahayak.contacts.models import Contact, ContactMerge, Identity
from sahayak.conversations.permissions import may_change_contacts
from sahayak.pagination import keyset_page

router = Router(tags=["contacts"])


def _contacts():  # type: ignore[no-untyped-def]
    return Contact.objects.prefetch_related("identities")


@router.get("", response=ContactPage)
def list_contacts(
    request: HttpRequest,
    q: str = "",
    organization_id: int | None = Query(None, ge=1, le=MAX_ID),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    qs = _contacts().filter(merged_into__isnull=True)
    if q:
        qs = qs.filter(name__istartswith=q.strip())
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    items, next_cursor = keyset_page(qs, keys=["-id"], cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/lookup", response={200: ContactOut, 404: Error})
def lookup_contact(request: HttpRequest, kind: str, address: str):
    """Find the contact known by an identity (address in any usual spelling)."""
    try:
        normalized = normalize_address(kind, address)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    identity = get_object_or_404(Identity, kind=kind, address=normalized)
    return get_object_or_404(_contacts(), pk=identity.contact_id)


@router.post("", response={201: ContactOut, 409: Error, 422: Error})
def create_contact(request: HttpRequest, payload: ContactIn):
    with _contact_errors():
        contact = services.create_contact(
            values=payload.dict(exclude={"identities"}),
            identities=[(i.kind, i.address) for i in payload.identities],
        )
    return Status(201, _contacts().get(pk=contact.pk))


@router.get("/{contact_id}", response={200: ContactOut, 404: Error})
def get_contact(request: HttpRequest, contact_id: int):
    return get_object_or_404(_contacts(), pk=contact_id)


@router.patch(
    "/{contact_id}", response={200: ContactOut, 403: Error, 404: Error, 409: Error, 422: Error}
)
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch):
    """Change the fields given; ``null`` clears the organization and is ignored elsewhere."""
    contact = get_object_or_404(Contact, pk=contact_id)
    user = current_user(request)
    if payload.add_identities:
        _may_change(user, [contact.pk])
    values = {
        field: value
        for field, value in payload.dict(exclude_unset=True, exclude={"add_identities"}).items()
        if value is not None or field == "organization_id"
    }
    with _contact_errors():
        services.update_contact(
            contact=contact,
            values=values,
            identities=[(i.kind, i.address) for i in payload.add_identities],
            actor=user,
        )
    return _contacts().get(pk=contact.pk)


def _may_change(user: User, contact_ids: list[int]) -> None:
    if not may_change_contacts(user, contact_ids):
        raise HttpError(
            403,
            "Some of this customer's conversations are in a private team you are not in: "
            "a supervisor can change their identities or merge them.",
        )


@contextmanager
def _contact_errors() -> Iterator[None]:
    try:
        yield
    except services.MergeError as exc:
        raise HttpError(409, str(exc)) from exc
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc


@router.delete("/{contact_id}", response={204: None, 403: Error, 404: Error, 409: Error})
def delete_contact(request: HttpRequest, contact_id: int):
    user = require_manager(request)
    contact = get_object_or_404(Contact, pk=contact_id)
    try:
        delete_audited(obj=contact, actor=user)
    except ProtectedError as exc:
        raise HttpError(409, "The contact has conversations; merge it instead.") from exc
    return Status(204, None)


@router.post("/{contact_id}/merge", response={200: MergeOut, 403: Error, 404: Error, 409: Error})
def merge_into_contact(request: HttpRequest, contact_id: int, payload: MergeIn):
    """Merge contact ``source_id`` into this one (identities, conversations, orders move)."""
    target = get_object_or_404(Contact, pk=contact_id)
    source = get_object_or_404(Contact, pk=payload.source_id)
    _may_change(current_user(request), [source.pk, target.pk])
    try:
        merge = services.merge_contacts(source=source, target=target, actor=current_user(request))
    except services.MergeError as exc:
        raise HttpError(409, str(exc)) from exc
    return {"merge_id": merge.pk, "target_id": target.pk, "source_id": source.pk}


@router.post(
    "/merges/{merge_id}/undo", response={200: ContactOut, 403: Error, 404: Error, 409: Error}
)
def undo_merge(request: HttpRequest, merge_id: int):
    merge = get_object_or_404(ContactMerge, pk=merge_id)
    _may_change(current_user(request), [merge.source_id, merge.target_id])
    try:
        source = services.undo_contact_merge(merge=merge, actor=current_user(request))
    except services.MergeError as exc:
        raise HttpError(409, str(exc)) from exc
    return _contacts().get(pk=source.pk)
