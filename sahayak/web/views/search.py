"""Workspace search: conversations by number, customers, orders and tags by name; messages
and notes of the conversations the agent may see, and articles, by their words."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sahayak.conversations.lookup import lookup
from sahayak.knowledge import search

from .common import agent, login_required


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    user = agent(request)
    found = lookup(user, query)
    messages = search.search_messages(query, user=user, limit=50) if query else []
    articles = (
        search.search_articles(query, public_only=False, published_only=False, limit=5)
        if query
        else []
    )
    return render(
        request,
        "web/search.html",
        {"query": query, "found": found, "messages_found": messages, "articles": articles},
    )
