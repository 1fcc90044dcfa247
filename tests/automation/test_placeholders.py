"""The placeholder language of canned replies: values by name, fallbacks, and hostile
texts that must neither reach anything nor run anything."""

from __future__ import annotations

import pytest

from sahayak.automation.placeholders import (
    MAX_PLACEHOLDERS,
    PlaceholderError,
    check,
    render,
)

VALUES = {"customer.first_name": "Ἀλέξανδρος", "conversation.number": "42"}


def test_values_are_filled_in_and_fallbacks_used_for_missing_ones():
    text = 'নমস্কার {{ customer.first_name }}, #{{conversation.number}} — {{ order.latest.reference | default: "—" }}'
    done = render(text, VALUES)
    assert done.text == "নমস্কার Ἀλέξανδρος, #42 — —"
    assert done.missing == ("order.latest.reference",)


def test_custom_attributes_by_key():
    assert check("{{ customer.attributes.plan }}") == ["customer.attributes.plan"]
    assert render("{{ customer.attributes.plan }}", {"customer.attributes.plan": "Gold"}).text == (
        "Gold"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ customer.__class__ }}",
        "{{ agent.set_password }}",
        "{% for x in customer %}{% endfor %}{{",
        "{{ customer.name|safe }}",
        '{{ customer.name | default: "a" | upper }}',
        "{% debug %}{{ }}",
        "{{ customer.attributes.__dict__.x }}",
    ],
)
def test_hostile_texts_are_refused_when_saved(hostile: str):
    with pytest.raises(PlaceholderError):
        check(hostile)


def test_hostile_texts_render_to_nothing_but_text():
    # Even unchecked (an old text), a name outside the table reads nothing.
    done = render("{{ settings.SECRET_KEY }}{{ customer.__class__ }}", VALUES)
    assert done.text == ""
    assert done.missing == ("settings.SECRET_KEY", "customer.__class__")
    # Template tags are not a language here: they stay as written, nothing runs.
    assert render("{% load static %}{% now 'Y' %}", VALUES).text == "{% load static %}{% now 'Y' %}"


def test_a_huge_text_is_rendered_in_linear_time_and_placeholders_are_capped():
    big = "{{ conversation.number }}" * MAX_PLACEHOLDERS
    assert render(big, VALUES).text == "42" * MAX_PLACEHOLDERS
    with pytest.raises(PlaceholderError, match="more than"):
        check(big + "{{ conversation.number }}")
    # A pathological run of braces does not backtrack forever.
    assert render("{{" * 50_000, VALUES).text == "{{" * 50_000
