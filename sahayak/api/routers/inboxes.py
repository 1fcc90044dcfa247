from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from sahayak.api.schemas import Error, InboxOut
from sahayak.conversations.models import Inbox

router = Router(tags=["inboxes"])


@router.get("", response=list[InboxOut])
def list_inboxes(request: HttpRequest):
    """The configured inboxes (a handful per installation, so not paginated)."""
    return Inbox.objects.order_by("id")


@router.get("/{inbox_id}", response={200: InboxOut, 404: Error})
def get_inbox(request: HttpRequest, inbox_id: int):
    return get_object_or_404(Inbox, pk=inbox_id)
