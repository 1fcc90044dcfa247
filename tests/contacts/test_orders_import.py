"""Orders import from CSV: idempotent by reference, bad rows reported, never fatal."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from sahayak.contacts.models import Order
from sahayak.contacts.services import import_orders_csv

pytestmark = pytest.mark.django_db

CSV = """external_ref,email,phone,name,amount,currency,ordered_at,status,items
A-1,Ravi@Mail.example,,रवि,120.50,inr,2026-03-01T10:00:00,paid,Kettle;Mug
A-2,,+33 6 12 34 56 78,Léa,99,EUR,2026-03-02 09:00:00+01:00,shipped,"[{""name"": ""Veste""}]"
A-3,ravi@mail.example,,,abc,INR,2026-03-03,paid,
A-4,,,Nobody,1,EUR,2026-03-03T00:00:00,paid,
A-5,x@mail.example,,,5,EURO,2026-03-03T00:00:00,paid,
"""


def test_import_creates_orders_reports_bad_rows_and_is_repeatable():
    report = import_orders_csv(io.StringIO(CSV))
    assert (report.created, report.updated) == (2, 0)
    assert len(report.errors) == 3
    assert report.errors[0] == "line 4: amount is not a number: abc"
    ravi = Order.objects.get(external_ref="A-1")
    assert ravi.amount == Decimal("120.50") and ravi.currency == "INR"
    assert ravi.items == [{"name": "Kettle"}, {"name": "Mug"}]
    assert ravi.contact.name == "रवि"
    assert Order.objects.get(external_ref="A-2").items == [{"name": "Veste"}]

    again = import_orders_csv(io.StringIO(CSV))
    assert (again.created, again.updated) == (0, 2)
    assert Order.objects.count() == 2


def test_import_command_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(CSV, encoding="utf-8")
    call_command("import_orders", str(path))
    out = capsys.readouterr()
    assert "created 2, updated 0, errors 3" in out.out
    assert "line 4" in out.err
