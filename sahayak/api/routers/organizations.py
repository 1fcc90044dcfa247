from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from sahayak.accounts.services import delete_audited
from sahayak.api.auth import require_manager
from sahayak.api.schemas import Error, OrganizationIn, OrganizationOut, OrganizationPage
from sahayak.contacts.models import Organization
from sahayak.pagination import keyset_page

router = Router(tags=["organizations"])


@router.get("", response=OrganizationPage)
def list_organizations(
    request: HttpRequest,
    q: str = "",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    qs = Organization.objects.all()
    if q:
        qs = qs.filter(name__istartswith=q.strip())
    items, next_cursor = keyset_page(qs, keys=["-id"], cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("", response={201: OrganizationOut, 422: Error})
def create_organization(request: HttpRequest, payload: OrganizationIn):
    data = payload.dict()
    data["domain"] = data["domain"].strip().lower()
    return Status(201, Organization.objects.create(**data))


@router.get("/{org_id}", response={200: OrganizationOut, 404: Error})
def get_organization(request: HttpRequest, org_id: int):
    return get_object_or_404(Organization, pk=org_id)


@router.put("/{org_id}", response={200: OrganizationOut, 404: Error, 422: Error})
def update_organization(request: HttpRequest, org_id: int, payload: OrganizationIn):
    org = get_object_or_404(Organization, pk=org_id)
    for field, value in payload.dict().items():
        setattr(org, field, value)
    org.domain = org.domain.strip().lower()
    org.save()
    return org


@router.delete("/{org_id}", response={204: None, 403: Error, 404: Error})
def delete_organization(request: HttpRequest, org_id: int):
    user = require_manager(request)
    delete_audited(obj=get_object_or_404(Organization, pk=org_id), actor=user)
    return Status(204, None)
