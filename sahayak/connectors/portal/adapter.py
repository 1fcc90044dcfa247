"""Requests started in the customer portal: answers are shown there and sent by email."""

from __future__ import annotations

from sahayak.connectors.webform.adapter import WebFormAdapter


class PortalAdapter(WebFormAdapter):
    kind = "portal"
