"""The CRM: one contact per customer, their identities on every channel, orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("email domain"), max_length=200, blank=True, db_index=True)
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    locale = models.CharField(_("language"), max_length=16, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    # A merged contact is kept (hidden) so that the merge can be undone.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_contacts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class Identity(models.Model):
    """How a contact is known on one channel; (kind, address) is unique across contacts."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    # A kind registered in ``contacts.identities`` (no choices here: a new channel's kind
    # needs no migration).
    kind = models.CharField(max_length=16)
    address = models.CharField(max_length=320)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The customer asked not to be written to on this address (an SMS "STOP"); nothing
    # is sent to it until they opt in again ("START").
    opted_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="identity_kind_address_uniq")
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


# Order statuses as shops commonly send them, named in the reader's language; any other
# status is shown as the shop wrote it.
ORDER_STATUS_LABELS = {
    "pending": _("Pending"),
    "pending_payment": _("Awaiting payment"),
    "paid": _("Paid"),
    "processing": _("Processing"),
    "on_hold": _("On hold"),
    "packed": _("Packed"),
    "shipped": _("Shipped"),
    "in_transit": _("In transit"),
    "out_for_delivery": _("Out for delivery"),
    "delivered": _("Delivered"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    "canceled": _("Cancelled"),
    "refunded": _("Refunded"),
    "partially_refunded": _("Partly refunded"),
    "returned": _("Returned"),
    "failed": _("Failed"),
}


def order_status_label(status: str) -> str:
    key = status.strip().casefold().replace("-", "_").replace(" ", "_")
    label = ORDER_STATUS_LABELS.get(key)
    return str(label) if label is not None else status


class Order(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="orders")
    external_ref = models.CharField(_("order reference"), max_length=120, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    items = models.JSONField(_("items"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=40, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["contact", "-ordered_at"])]

    def __str__(self) -> str:
        return self.external_ref


class ContactMerge(models.Model):
    """What a merge moved, so that it can be undone exactly."""

    source = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    moved = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"contact #{self.source_id} -> #{self.target_id}"


class NotDuplicate(models.Model):
    """An agent said these two contacts are different people: never suggest them again."""

    first = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_duplicate_pair_uniq")
        ]

    def __str__(self) -> str:
        return f"#{self.first_id} ≠ #{self.second_id}"
