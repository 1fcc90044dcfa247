"""Contact operations: identity resolution, merge and undo, orders."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from sahayak.accounts.models import User
from sahayak.accounts.services import record_audit

from .attributes import check_attributes, invalid_text
from .identities import normalize_address
from .models import Contact, ContactMerge, Identity, Order, Organization

BATCH = 1000

# Sent inside the merge's (or undo's) transaction, so a listener's writes commit with it.
# kwargs: moved ({"<app.Model>.<field>": [ids]}), old_contact, new_contact, actor
contact_records_moved = Signal()
# Sent when an undone merge has put the identities back: each app moves what belongs to the
# identities now on the other contact (records made while merged, sessions that follow an
# identity). kwargs: source (the contact restored), target, since (when the merge was made),
# moved (what the merge had moved, as in contact_records_moved), actor. Inside the undo's
# transaction.
contact_split = Signal()

# Functions (source, target, identity_ids) -> ids of identities that must stay with the
# target when a merge is undone, although the merge moved them (a chat visitor who proved
# to be the target's user stays that user).
IdentityKeeper = Callable[[Contact, Contact, set[int]], set[int]]
identity_keepers: list[IdentityKeeper] = []


class MergeError(Exception):
    """A merge or undo that cannot be carried out; the message says why."""


def find_contact(*, kind: str, address: str) -> Contact | None:
    normalized = normalize_address(kind, address)
    identity = Identity.objects.select_related("contact").filter(kind=kind, address=normalized)
    found = identity.first()
    return found.contact if found else None


def resolve_contact(
    *,
    kind: str,
    address: str,
    name: str = "",
    locale: str = "",
    time_zone: str = "",
) -> tuple[Contact, bool]:
    """The contact with this identity, created (with the identity) if none exists yet.

    Safe under concurrent calls: the unique (kind, address) constraint decides the winner
    and the loser reads the winner's contact.
    """
    normalized = normalize_address(kind, address)
    existing = Identity.objects.select_related("contact").filter(kind=kind, address=normalized)
    # [:1] rather than first(): the unique key needs no ORDER BY (this is the hot path).
    found = existing[:1]
    if found:
        return found[0].contact, False
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                name=name[:200], locale=locale[:16], time_zone=time_zone[:64]
            )
            Identity.objects.create(contact=contact, kind=kind, address=normalized)
            _link_organization_by_domain(contact, kind, normalized)
            return contact, True
    except IntegrityError:
        return existing.get().contact, False


def organizations_by_domain(domains: Iterable[str]) -> dict[str, int]:
    """The organization of each of these email domains that has one (one query)."""
    found: dict[str, int] = {}
    rows = Organization.objects.filter(domain__in=set(domains)).order_by("pk")
    for domain, pk in rows.values_list("domain", "pk"):
        found.setdefault(domain, pk)
    return found


def create_with_identity(
    *, kind: str, address: str, name: str, locale: str, organization_id: int | None
) -> Contact:
    """A new contact with this (normalized) identity, for a caller that read beforehand
    that none has it: no savepoint of its own, so a concurrent creation of the same
    identity fails the caller's transaction (which then retries the slow, safe way)."""
    contact = Contact.objects.create(
        name=name[:200], locale=locale[:16], organization_id=organization_id
    )
    Identity.objects.create(contact=contact, kind=kind, address=address)
    return contact


def _link_organization_by_domain(contact: Contact, kind: str, address: str) -> None:
    if kind != "email" or "@" not in address:
        return
    domain = address.rsplit("@", 1)[1]
    organization_id = organizations_by_domain([domain]).get(domain)
    if organization_id is not None:
        contact.organization_id = organization_id
        contact.save(update_fields=["organization"])


def add_identity(*, contact: Contact, kind: str, address: str, verified: bool = False) -> Identity:
    normalized = normalize_address(kind, address)
    owner = Identity.objects.filter(kind=kind, address=normalized).first()
    if owner is not None and owner.contact_id != contact.pk:
        raise MergeError(
            _("%(addr)s already belongs to contact #%(id)s; merge the two contacts instead.")
            % {"addr": normalized, "id": owner.contact_id}
        )
    identity, _created = Identity.objects.get_or_create(
        kind=kind, address=normalized, defaults={"contact": contact, "verified": verified}
    )
    return identity


_EDITABLE = ("name", "locale", "time_zone", "organization_id", "custom_attributes")


def _check_fields(values: dict[str, Any]) -> None:
    for field, value in values.items():
        if field not in _EDITABLE:
            raise ValueError(_("%(f)s cannot be changed here.") % {"f": field})
        if field == "organization_id":
            if value is not None and not Organization.objects.filter(pk=value).exists():
                raise ValueError(_("No organization #%(id)s.") % {"id": value})
        elif field == "custom_attributes":
            check_attributes(value)
        else:
            limit = getattr(Contact._meta.get_field(field), "max_length", 0) or 0
            if not isinstance(value, str) or len(value) > limit or invalid_text(value):
                raise ValueError(
                    _("%(f)s must be text of at most %(n)d characters.") % {"f": field, "n": limit}
                )


@transaction.atomic
def create_contact(
    *, values: dict[str, Any], identities: Iterable[tuple[str, str]] = ()
) -> Contact:
    """A contact with its identities; ValueError or MergeError leave nothing behind."""
    _check_fields(values)
    contact = Contact.objects.create(**values)
    for kind, address in identities:
        add_identity(contact=contact, kind=kind, address=address)
    return contact


@transaction.atomic
def update_contact(
    *,
    contact: Contact,
    values: dict[str, Any],
    identities: Iterable[tuple[str, str]] = (),
    actor: User | None = None,
) -> Contact:
    """Change the given fields and add identities, all or nothing; added identities are
    audited (unverified until the customer proves them, e.g. by a portal sign-in link)."""
    _check_fields(values)
    for field, value in values.items():
        setattr(contact, field, value)
    contact.save()
    for kind, address in identities:
        identity = add_identity(contact=contact, kind=kind, address=address)
        record_audit(
            actor=actor,
            action="contact.identity_added",
            obj=contact,
            data={"kind": identity.kind, "address": identity.address},
        )
    return contact


# --- merge ------------------------------------------------------------------------------------

_FILLABLE = ("name", "locale", "time_zone", "organization_id")


def _contact_relations() -> list[tuple[type[models.Model], str]]:
    """Every foreign key to Contact that belongs to the customer (moves with a merge).

    Found from the model registry, so conversations, orders and whatever later apps point
    at a contact move without this module knowing them.
    """
    skip = {ContactMerge, Contact}
    relations = []
    for rel in Contact._meta.related_objects:
        model = rel.related_model
        if not isinstance(model, type) or model in skip:
            continue
        if rel.one_to_many:
            relations.append((model, rel.field.name))
    return relations


@transaction.atomic
def merge_contacts(*, source: Contact, target: Contact, actor: User | None) -> ContactMerge:
    """Move all of ``source`` into ``target``; ``source`` is kept hidden for undo."""
    source = Contact.objects.select_for_update().get(pk=source.pk)
    target = Contact.objects.select_for_update().get(pk=target.pk)
    if source.pk == target.pk:
        raise MergeError(_("A contact cannot be merged into itself."))
    if source.merged_into_id or target.merged_into_id:
        raise MergeError(_("One of these contacts was already merged into another."))

    moved: dict[str, Any] = {"relations": {}, "fields": {}, "attributes": []}
    for model, field in _contact_relations():
        ids = list(model._default_manager.filter(**{field: source}).values_list("pk", flat=True))
        if ids:
            moved["relations"][f"{model._meta.label}.{field}"] = ids
            _bulk_set(model, field, ids, target.pk)

    for name in _FILLABLE:
        if not getattr(target, name) and getattr(source, name):
            moved["fields"][name] = getattr(target, name)
            setattr(target, name, getattr(source, name))
    for key, value in source.custom_attributes.items():
        if key not in target.custom_attributes:
            target.custom_attributes[key] = value
            moved["attributes"].append(key)
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])

    merge = ContactMerge.objects.create(source=source, target=target, moved=moved, actor=actor)
    contact_records_moved.send(
        sender=Contact,
        moved=moved["relations"],
        old_contact=source.pk,
        new_contact=target.pk,
        actor=actor,
    )
    record_audit(
        actor=actor,
        action="contact.merged",
        obj=target,
        data={"source": source.pk, "merge": merge.pk, "moved": moved["relations"]},
    )
    return merge


def _bulk_set(model: type[models.Model], field: str, ids: list[Any], value: Any) -> None:
    for start in range(0, len(ids), BATCH):
        model._default_manager.filter(pk__in=ids[start : start + BATCH]).update(
            **{f"{field}_id": value}
        )


@transaction.atomic
def undo_contact_merge(*, merge: ContactMerge, actor: User | None) -> Contact:
    """Put back exactly what ``merge`` moved; the source contact reappears."""
    merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeError(_("This merge was already undone."))
    source, target = merge.source, merge.target
    if target.merged_into_id:
        raise MergeError(
            _("Contact #%(id)s was merged again since; undo that merge first.") % {"id": target.pk}
        )
    moved_back: dict[str, list[Any]] = {}
    identity_key = f"{Identity._meta.label}.contact"
    moved_identities = set(merge.moved["relations"].get(identity_key, []))
    kept: set[int] = set()
    for keeper in identity_keepers:
        kept |= keeper(source, target, moved_identities)
    for key, ids in merge.moved["relations"].items():
        if key == identity_key:
            ids = [i for i in ids if i not in kept]
        label, field = key.rsplit(".", 1)
        model = _model_by_label(label)
        still_there = list(
            model._default_manager.filter(pk__in=ids, **{f"{field}_id": target.pk}).values_list(
                "pk", flat=True
            )
        )
        _bulk_set(model, field, still_there, source.pk)
        moved_back[key] = still_there
    contact_records_moved.send(
        sender=Contact,
        moved=moved_back,
        old_contact=target.pk,
        new_contact=source.pk,
        actor=actor,
    )
    for name, old in merge.moved["fields"].items():
        setattr(target, name, old)
    for key in merge.moved["attributes"]:
        target.custom_attributes.pop(key, None)
    target.save()
    source.merged_into = None
    source.save(update_fields=["merged_into", "updated_at"])
    contact_split.send(
        sender=Contact,
        source=source,
        target=target,
        since=merge.created_at,
        moved=merge.moved["relations"],
        actor=actor,
    )
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    record_audit(actor=actor, action="contact.merge_undone", obj=target, data={"merge": merge.pk})
    return source


def _model_by_label(label: str) -> type[models.Model]:
    from django.apps import apps

    return apps.get_model(label)


# --- orders -----------------------------------------------------------------------------------


@dataclass
class OrderData:
    external_ref: str
    amount: Decimal
    currency: str
    ordered_at: datetime
    status: str = ""
    items: list[Any] | None = None


def upsert_order(*, contact: Contact, data: OrderData) -> tuple[Order, bool]:
    """Create or update the order with this reference (imports can be run again safely)."""
    if len(data.currency) != 3 or not data.currency.isalpha():
        raise ValueError(_("Currency must be a three-letter ISO 4217 code."))
    return Order.objects.update_or_create(
        external_ref=data.external_ref,
        defaults={
            "contact": contact,
            "amount": data.amount,
            "currency": data.currency.upper(),
            "ordered_at": data.ordered_at,
            "status": data.status,
            "items": data.items or [],
        },
    )


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] | None = None


def import_orders_csv(
    stream: Iterable[str] | io.TextIOBase,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import orders from CSV; each bad row is reported by line and skipped.

    Columns: external_ref, email or phone, name, amount, currency, ordered_at, status, items
    (items as JSON or ``;``-separated names).
    """
    report = ImportReport(errors=[])
    reader = csv.DictReader(stream)
    for line_no, row in enumerate(reader, start=2):
        try:
            with transaction.atomic():
                created = _import_order_row(row)
            report.created += created
            report.updated += not created
        except (ValueError, KeyError, InvalidOperation) as exc:
            assert report.errors is not None
            report.errors.append(_("line %(n)d: %(err)s") % {"n": line_no, "err": exc})
        if progress and line_no % 500 == 0:
            progress(line_no - 1)
    return report


def _import_order_row(row: dict[str, str]) -> bool:
    if row.get("email"):
        kind, address = "email", row["email"]
    elif row.get("phone"):
        kind, address = "phone", row["phone"]
    else:
        raise ValueError(_("each row needs an email or a phone"))
    contact, _created = resolve_contact(kind=kind, address=address, name=row.get("name", ""))
    ordered_at = parse_datetime(row["ordered_at"] or "")
    if ordered_at is None:
        raise ValueError(_("ordered_at is not a date and time: %(v)s") % {"v": row["ordered_at"]})
    if timezone.is_naive(ordered_at):
        ordered_at = timezone.make_aware(ordered_at, UTC)
    items_raw = (row.get("items") or "").strip()
    items = (
        json.loads(items_raw)
        if items_raw.startswith("[")
        else [{"name": part.strip()} for part in items_raw.split(";") if part.strip()]
    )
    try:
        amount = Decimal(row["amount"])
    except InvalidOperation:
        raise ValueError(_("amount is not a number: %(v)s") % {"v": row["amount"]}) from None
    _order, created = upsert_order(
        contact=contact,
        data=OrderData(
            external_ref=row["external_ref"].strip(),
            amount=amount,
            currency=row["currency"].strip(),
            ordered_at=ordered_at,
            status=row.get("status", "").strip(),
            items=items,
        ),
    )
    return created
