"""Workspace search: messages and notes of the conversations the agent may see, and articles."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sahayak.knowledge import search

from .common import agent, login_required


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:300]
    messages = search.search_messages(query, user=agent(request), limit=50) if query else []
    articles = (
        search.search_articles(query, public_only=False, published_only=False, limit=5)
        if query
        else []
    )
    return render(
        request,
        "web/search.html",
        {"query": query, "messages_found": messages, "articles": articles},
    )
