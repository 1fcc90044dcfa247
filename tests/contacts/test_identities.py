"""One person is one contact however their address is written."""

import pytest

from sahayak.contacts.identities import normalize_address
from sahayak.contacts.models import Contact
from sahayak.contacts.services import resolve_contact

pytestmark = pytest.mark.django_db


def test_same_email_in_different_case_resolves_to_one_contact():
    first, created_first = resolve_contact(kind="email", address="Asha.Rao@Example.COM")
    second, created_second = resolve_contact(kind="email", address="  asha.rao@example.com ")
    assert created_first and not created_second
    assert first.pk == second.pk
    assert Contact.objects.count() == 1


def test_same_phone_in_two_formats_resolves_to_one_contact(settings):
    settings.SAHAYAK_PHONE_REGION = "IN"
    first, _ = resolve_contact(kind="phone", address="+91 98765 43210")
    second, _ = resolve_contact(kind="phone", address="098765-43210")
    third, _ = resolve_contact(kind="whatsapp", address="0091 9876543210")
    assert first.pk == second.pk
    assert first.identities.get().address == "+919876543210"
    # WhatsApp is its own identity kind, with the same E.164 normalization.
    assert third.identities.get().address == "+919876543210"


def test_phone_without_country_code_needs_a_region(settings):
    settings.SAHAYAK_PHONE_REGION = ""
    with pytest.raises(ValueError):
        normalize_address("phone", "98765 43210")


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        ("email", "not-an-email"),
        ("phone", "+12"),
        ("telegram", "@"),
        ("fax", "123"),
        ("email", "x" * 400 + "@example.com"),
    ],
)
def test_bad_addresses_are_refused_with_a_reason(kind, address):
    with pytest.raises(ValueError) as excinfo:
        normalize_address(kind, address)
    assert str(excinfo.value)


def test_handles_are_case_folded_without_assuming_latin_script():
    # Case folding also folds the final sigma, so every spelling of a Greek handle matches.
    assert normalize_address("telegram", "@ΝΊΚΟΣ") == normalize_address("telegram", "νίκος")
    assert normalize_address("instagram", "प्रिया_shop") == "प्रिया_shop"


def test_new_email_contact_joins_the_organization_of_its_domain():
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(domain="acme.example")
    contact, _ = resolve_contact(kind="email", address="buyer@acme.example")
    assert contact.organization == org
