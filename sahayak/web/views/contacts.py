"""The contacts and organizations directories, a contact's page, edit and merge."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sahayak.contacts import services as contact_services
from sahayak.contacts.duplicates import dismiss, suggestions_for
from sahayak.contacts.models import Contact, ContactMerge, Identity, Organization
from sahayak.contacts.search import search_contacts
from sahayak.conversations.permissions import may_change_contacts, visible_conversations
from sahayak.ids import parse_id
from sahayak.pagination import BadCursor, keyset_page

from .. import timeline
from ..customer import customer_panel
from ..forms import ContactForm
from .common import agent, login_required

PAGE = 50


PRIVATE_CUSTOMER = gettext_lazy(
    "Some of these customers' conversations are in a private team you are not in: "
    "a supervisor can merge them."
)


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    try:
        rows, next_cursor = keyset_page(
            search_contacts(q).select_related("organization"),
            keys=["-id"],
            cursor=request.GET.get("cursor"),
            limit=PAGE,
        )
    except BadCursor:
        return redirect("web:contacts")
    identities: dict[int, list[Identity]] = {}
    for identity in Identity.objects.filter(contact_id__in=[c.pk for c in rows]).order_by("id"):
        identities.setdefault(identity.contact_id, []).append(identity)
    for contact in rows:
        contact.identity_list = identities.get(contact.pk, [])
    return render(request, "web/contacts.html", {"rows": rows, "q": q, "next_cursor": next_cursor})


@login_required
def contact_page(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("organization"), pk=contact_id)
    if contact.merged_into_id:
        messages.info(request, _("This contact was merged into another."))
        return redirect("web:contact", contact.merged_into_id)
    user = agent(request)
    if request.method == "POST":
        form = ContactForm(request.POST, instance=contact)
        if form.is_valid():
            values = {
                "name": form.cleaned_data["name"],
                "locale": form.cleaned_data["locale"],
                "time_zone": form.cleaned_data["time_zone"],
                "organization_id": getattr(form.cleaned_data["organization"], "pk", None),
            }
            contact_services.update_contact(contact=contact, values=values)
            messages.success(request, _("Contact saved."))
            return redirect("web:contact", contact.pk)
    else:
        form = ContactForm(instance=contact)
    try:
        conversations, next_cursor = keyset_page(
            visible_conversations(user)
            .filter(contact=contact)
            .values("id", "subject", "status", "channel", "created_at", "last_message_at"),
            keys=["-id"],
            cursor=request.GET.get("cursor"),
            limit=PAGE,
        )
    except BadCursor:
        return redirect("web:contact", contact.pk)
    kinds = timeline.parse_kinds(request.GET.getlist("show"))
    events, older = timeline.entries(
        user, contact, kinds, timeline.parse_before(request.GET.get("before"))
    )
    duplicates = [s for s in suggestions_for(contact) if may_change_contacts(user, [s.contact.pk])]
    merges = list(
        ContactMerge.objects.filter(target=contact, undone_at__isnull=True)
        .select_related("source")
        .order_by("-id")[:5]
    )
    return render(
        request,
        "web/contact.html",
        {
            "customer": customer_panel(user, contact),
            "form": form,
            "conversations": conversations,
            "next_cursor": next_cursor,
            "merges": merges,
            "duplicates": duplicates,
            "timeline": events,
            "timeline_older": older,
            "timeline_kinds": [(k, label, k in kinds) for k, label in timeline.KINDS.items()],
            "timeline_query": "&".join(f"show={k}" for k in sorted(kinds)),
        },
    )


@login_required
@require_POST
def merge_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Merge another contact (by number, email or phone) into this one."""
    target = get_object_or_404(Contact, pk=contact_id)
    other = request.POST.get("other", "").strip()
    source_id = parse_id(request.POST.get("source_id"))
    if source_id is not None:  # a suggested duplicate, by its number
        source = Contact.objects.filter(pk=source_id, merged_into__isnull=True).first()
        source = None if source is None or source.pk == target.pk else source
    else:
        source = search_contacts(other).exclude(pk=target.pk).first() if other else None
    if source is None:
        messages.error(request, _("No other contact matches that."))
        return redirect("web:contact", target.pk)
    if not may_change_contacts(agent(request), [source.pk, target.pk]):
        messages.error(request, str(PRIVATE_CUSTOMER))
        return redirect("web:contact", target.pk)
    try:
        contact_services.merge_contacts(source=source, target=target, actor=agent(request))
    except contact_services.MergeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("%(name)s was merged into this contact.") % {"name": str(source)}
        )
    return redirect("web:contact", target.pk)


@login_required
@require_POST
def not_duplicate(request: HttpRequest, contact_id: int) -> HttpResponse:
    """An agent says two contacts are different people: the suggestion is not made again."""
    contact = get_object_or_404(Contact, pk=contact_id)
    other = get_object_or_404(Contact, pk=parse_id(request.POST.get("other_id")) or 0)
    if not may_change_contacts(agent(request), [contact.pk, other.pk]):
        messages.error(request, str(PRIVATE_CUSTOMER))
        return redirect("web:contact", contact.pk)
    dismiss(contact, other)
    messages.success(request, _("They will not be suggested as the same person again."))
    return redirect("web:contact", contact.pk)


@login_required
@require_POST
def undo_contact_merge(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = get_object_or_404(ContactMerge, pk=merge_id)
    if not may_change_contacts(agent(request), [merge.source_id, merge.target_id]):
        messages.error(request, str(PRIVATE_CUSTOMER))
        return redirect("web:contact", merge.target_id)
    try:
        source = contact_services.undo_contact_merge(merge=merge, actor=agent(request))
    except contact_services.MergeError as exc:
        messages.error(request, str(exc))
        return redirect("web:contact", merge.target_id)
    messages.success(request, _("Merge undone."))
    return redirect("web:contact", source.pk)


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    qs = Organization.objects.all()
    if q:
        qs = qs.filter(Q(name__istartswith=q) | Q(domain=q.casefold()))
    try:
        rows, next_cursor = keyset_page(
            qs, keys=["-id"], cursor=request.GET.get("cursor"), limit=PAGE
        )
    except BadCursor:
        return redirect("web:organizations")
    return render(
        request, "web/organizations.html", {"rows": rows, "q": q, "next_cursor": next_cursor}
    )


@login_required
def organization_page(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = get_object_or_404(Organization, pk=organization_id)
    contacts, more = keyset_page(
        organization.contacts.filter(merged_into__isnull=True),
        keys=["-id"],
        cursor=None,
        limit=PAGE,
    )
    conversations, _next = keyset_page(
        visible_conversations(agent(request))
        .filter(contact__organization=organization)
        .values("id", "subject", "status", "channel", "contact__name", "created_at"),
        keys=["-id"],
        cursor=None,
        limit=PAGE,
    )
    return render(
        request,
        "web/organization.html",
        {"org": organization, "contacts": contacts, "conversations": conversations},
    )
