import io

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from sahayak.accounts.services import delete_audited
from sahayak.api.auth import require_manager
from sahayak.api.schemas import MAX_ID, Error, ImportOut, OrderIn, OrderOut, OrderPage
from sahayak.contacts.models import Contact, Order
from sahayak.contacts.services import OrderData, import_orders_csv, upsert_order
from sahayak.pagination import keyset_page

router = Router(tags=["orders"])


@router.get("", response=OrderPage)
def list_orders(
    request: HttpRequest,
    contact_id: int | None = Query(None, ge=1, le=MAX_ID),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    qs = Order.objects.all()
    if contact_id is not None:
        qs = qs.filter(contact_id=contact_id)
    items, next_cursor = keyset_page(qs, keys=["-id"], cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("", response={200: OrderOut, 201: OrderOut, 404: Error, 422: Error})
def put_order(request: HttpRequest, payload: OrderIn):
    """Create an order, or update the one with the same ``external_ref``."""
    contact = get_object_or_404(Contact, pk=payload.contact_id)
    data = payload.dict(exclude={"contact_id"})
    try:
        order, created = upsert_order(contact=contact, data=OrderData(**data))
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status((201 if created else 200), order)


@router.post("/import", response={200: ImportOut, 400: Error})
def import_orders(request: HttpRequest, file: UploadedFile = File(...)):  # noqa: B008
    """CSV import: external_ref, email or phone, name, amount, currency, ordered_at, status, items."""
    try:
        text = io.TextIOWrapper(file.file, encoding="utf-8-sig", newline="")  # type: ignore[type-var]
        report = import_orders_csv(text)
    except UnicodeDecodeError as exc:
        raise HttpError(400, "The CSV file must be UTF-8 encoded.") from exc
    return {"created": report.created, "updated": report.updated, "errors": report.errors or []}


@router.get("/{order_id}", response={200: OrderOut, 404: Error})
def get_order(request: HttpRequest, order_id: int):
    return get_object_or_404(Order, pk=order_id)


@router.delete("/{order_id}", response={204: None, 403: Error, 404: Error})
def delete_order(request: HttpRequest, order_id: int):
    user = require_manager(request)
    delete_audited(obj=get_object_or_404(Order, pk=order_id), actor=user)
    return Status(204, None)
