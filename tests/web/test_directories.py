"""Contacts and organizations directories: bounded queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ContactFactory, IdentityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url", ["/contacts/", "/organizations/"])
def test_directory_query_count_does_not_grow_with_rows(web, url):
    org = OrganizationFactory()
    IdentityFactory(contact=ContactFactory(organization=org))
    few = _queries(web, url)
    for _ in range(30):
        org = OrganizationFactory()
        IdentityFactory(contact=ContactFactory(organization=org))
    assert _queries(web, url) == few


def test_organization_page_lists_its_contacts_and_their_conversations(web):
    from tests.factories import ConversationFactory

    org = OrganizationFactory(name="Ελληνικά Είδη")
    contact = ContactFactory(organization=org, name="Γιώργος")
    conversation = ConversationFactory(contact=contact, subject="Παράδοση")
    body = web.get(f"/organizations/{org.pk}/").content.decode()
    assert "Γιώργος" in body and f"#{conversation.pk}" in body
