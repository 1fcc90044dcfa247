"""The public help center under ``/help/<locale>/``: thin views over knowledge services."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from sahayak.clientip import client_address
from sahayak.knowledge import help_center, search, selfservice
from sahayak.knowledge.models import ArticleFile, ArticleTranslation, Category, Visibility
from sahayak.knowledge.video import embed
from sahayak.ratelimit import exceeded

from .links import absolute
from .services import record_read
from .session import current_contact, reader_locale

LOCALE_NAMES = dict(settings.LANGUAGES)


def _activate(locale: str) -> str:
    if not help_center.is_locale(locale):
        raise Http404(_("This help center is not available in that language."))
    translation.activate(locale)
    return locale


def _locales() -> list[dict[str, str]]:
    """Every help center language, named in itself (a reader looks for their own)."""
    return [{"code": code, "name": _local_name(code)} for code in settings.SAHAYAK_KB_LOCALES]


def _local_name(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_local"])
    except KeyError:
        return str(LOCALE_NAMES.get(code, code))


def _in_every_language(name: str, *args: Any) -> dict[str, str]:
    """The address of one page in each help center language."""
    return {code: reverse(name, args=[code, *args]) for code in settings.SAHAYAK_KB_LOCALES}


def _hreflang(request: HttpRequest, paths: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, absolute(request, path)) for code, path in paths.items()]


def _context(request: HttpRequest, locale: str, **extra: Any) -> dict[str, Any]:
    """What every help center page needs; ``switch`` links the page in other languages."""
    switch = extra.pop("switch", None) or _in_every_language("help:home")
    return {
        "locale": locale,
        "switch": [
            {**lang, "href": switch[lang["code"]]} for lang in _locales() if lang["code"] in switch
        ],
        "center_name": help_center.center_name(),
        "customer": current_contact(request),
        **extra,
    }


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    response = redirect("help:home", locale=reader_locale(request))
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
def article_any_locale(request: HttpRequest, article_id: int) -> HttpResponse:
    locale = reader_locale(request)
    found = help_center.find_article(article_id, locale)
    if found is None:
        raise Http404(_("No such article."))
    response = redirect(found[1].get_absolute_url(locale) + _query_suffix(request))
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _query_suffix(request: HttpRequest) -> str:
    query = request.GET.urlencode()
    return f"?{query}" if query else ""


@require_GET
def home(request: HttpRequest, locale: str) -> HttpResponse:
    _activate(locale)
    cats = help_center.categories()
    listings = help_center.section_listings(
        [s for cat in cats for s in cat.sections.all()], locale, limit=6
    )
    by_section = {listing.section.pk: listing for listing in listings}
    blocks = [
        {
            "category": cat,
            "name": cat.name(locale),
            "sections": [by_section[s.pk] for s in cat.sections.all()],
        }
        for cat in cats
    ]
    paths = _in_every_language("help:home")
    ctx = _context(
        request,
        locale,
        blocks=blocks,
        canonical=absolute(request, paths[locale]),
        hreflang=_hreflang(request, paths),
        search_url=absolute(request, reverse("help:search", args=[locale])),
    )
    return render(request, "help/home.html", ctx)


@require_GET
def category(request: HttpRequest, locale: str, category_id: int, slug: str) -> HttpResponse:
    _activate(locale)
    cat = get_object_or_404(Category, pk=category_id)
    sections = help_center.section_listings(list(cat.sections.all()), locale, limit=200)
    paths = _in_every_language("help:category", cat.pk, cat.slug)
    ctx = _context(
        request,
        locale,
        category=cat,
        name=cat.name(locale),
        description=cat.description(locale),
        sections=sections,
        canonical=absolute(request, paths[locale]),
        hreflang=_hreflang(request, paths),
        switch=paths,
    )
    return render(request, "help/category.html", ctx)


@require_GET
def article(request: HttpRequest, locale: str, article_id: int, slug: str) -> HttpResponse:
    _activate(locale)
    found = help_center.find_article(article_id, locale)
    if found is None:
        raise Http404(_("No such article."))
    art, t, fallback = found
    if not fallback and slug != t.slug:
        return redirect(t.get_absolute_url() + _query_suffix(request), permanent=True)
    session = request.GET.get("s", "")
    ip = client_address(request)
    # Counted for analytics: one address cannot inflate the figures at will.
    if request.GET.get("ref") == "suggest" and not exceeded(f"kb-suggested:{ip}", 120, 3600):
        selfservice.suggested_view(
            session=session,
            article=art,
            locale=locale,
            channel=request.GET.get("channel", "webform"),
            query=request.GET.get("q", ""),
        )
    reader = current_contact(request)
    if reader is not None:
        record_read(reader, art, t.locale)
    paths = {a.locale: a.get_absolute_url() for a in help_center.alternates(art)}
    default = help_center.default_locale()
    section = art.section
    ctx = _context(
        request,
        locale,
        article=art,
        t=t,
        fallback=fallback,
        fallback_language=LOCALE_NAMES.get(t.locale, t.locale),
        requested_language=LOCALE_NAMES.get(locale, locale),
        # A fallback page is a copy of the original: search engines are pointed there.
        canonical=absolute(request, t.get_absolute_url()),
        hreflang=_hreflang(request, paths),
        x_default=absolute(request, paths[default]) if default in paths else None,
        switch=paths,
        description=help_center.description(t),
        related=help_center.related(t),
        section_name=section.name(locale) if section else "",
        category=section.category if section else None,
        category_name=section.category.name(locale) if section else "",
        video=embed(art.video_url),
        files=[f for f in art.files.all() if not f.is_image],
        thanks=request.GET.get("feedback") == "thanks",
        deflection_session=session if selfservice.valid_session(session) else "",
        structured_data=_article_json_ld(request, t, art, locale),
    )
    return render(request, "help/article.html", ctx)


def _article_json_ld(request: HttpRequest, t: ArticleTranslation, art: Any, locale: str) -> str:
    data: list[dict[str, Any]] = [
        {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": t.title,
            "description": help_center.description(t),
            "inLanguage": t.locale,
            "datePublished": t.published_at.isoformat() if t.published_at else None,
            "dateModified": t.updated_at.isoformat(),
            "mainEntityOfPage": absolute(request, t.get_absolute_url()),
        }
    ]
    crumbs = [(help_center.center_name(), reverse("help:home", args=[locale]))]
    if art.section:
        cat = art.section.category
        crumbs.append((cat.name(locale), reverse("help:category", args=[locale, cat.pk, cat.slug])))
    crumbs.append((t.title, t.get_absolute_url(locale)))
    data.append(
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": name, "item": absolute(request, p)}
                for i, (name, p) in enumerate(crumbs, start=1)
            ],
        }
    )
    return script_json(data)


# As Django's json_script: with <, > and & escaped, no text ("</script>", "<!--<script>")
# can end or change the script element the JSON sits in.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)


@require_GET
def search_page(request: HttpRequest, locale: str) -> HttpResponse:
    _activate(locale)
    query = request.GET.get("q", "").strip()[:200]
    results = search.search_articles(query, locales=[locale], limit=30) if query else []
    elsewhere = []
    if query and not results:
        elsewhere = search.search_articles(query, limit=10)
    ctx = _context(
        request,
        locale,
        query=query,
        results=[(r, r.translation.get_absolute_url()) for r in results],
        elsewhere=[(r, r.translation.get_absolute_url()) for r in elsewhere],
        canonical=absolute(request, reverse("help:search", args=[locale])),
        noindex=True,
        switch={
            code: reverse("help:search", args=[code]) + "?" + urlencode({"q": query})
            for code in settings.SAHAYAK_KB_LOCALES
        },
    )
    return render(request, "help/search.html", ctx)


@require_GET
@cache_control(max_age=60, public=True)
def suggest(request: HttpRequest, locale: str) -> JsonResponse:
    """Articles for what a customer is typing (web form subject, chat widget)."""
    if not help_center.is_locale(locale):
        return JsonResponse({"error": _("Unknown language.")}, status=404)
    query = request.GET.get("q", "").strip()[:200]
    results = help_center.articles_in_language(query, locale) if len(query) >= 3 else []
    response = JsonResponse(
        {
            "articles": [
                {
                    "id": r.translation.article_id,
                    "title": r.translation.title,
                    "locale": r.translation.locale,
                    "url": r.translation.get_absolute_url(),
                    "snippet": str(r.snippet_html),
                }
                for r in results
            ]
        }
    )
    response["Access-Control-Allow-Origin"] = "*"  # public, published articles only
    return response


@require_POST
def feedback(request: HttpRequest, locale: str, article_id: int) -> HttpResponse:
    _activate(locale)
    found = help_center.find_article(article_id, locale)
    if found is None:
        raise Http404(_("No such article."))
    helpful = request.POST.get("helpful")
    if helpful not in {"yes", "no"}:
        return HttpResponseBadRequest(_("Answer yes or no."))
    ip = client_address(request)
    if not exceeded(f"kb-feedback:{ip}:{article_id}", 5, 3600):
        help_center.record_feedback(found[1], helpful == "yes", request.POST.get("comment", ""))
    return redirect(found[1].get_absolute_url(locale) + "?feedback=thanks#feedback")


@csrf_exempt  # a beacon sent as the page closes: it can only mark a random session's view
@require_POST
def left(request: HttpRequest, locale: str, article_id: int) -> HttpResponse:
    session = request.POST.get("s", "") or request.body.decode("ascii", "ignore")[:64]
    selfservice.left_article(session=session.strip(), article_id=article_id)
    return HttpResponse(status=204)


@csrf_exempt  # a beacon from the chat widget on another site: it marks a random session
@require_POST
def asked(request: HttpRequest, locale: str) -> HttpResponse:
    """The visitor wrote to us after reading suggested articles: not a deflection."""
    selfservice.submitted(session=request.POST.get("s", "").strip())
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    urls = []
    for t, group in help_center.sitemap_entries():
        urls.append(
            {
                "loc": absolute(request, t.get_absolute_url()),
                "lastmod": t.updated_at.date().isoformat(),
                "alternates": _hreflang(request, {a.locale: a.get_absolute_url() for a in group}),
            }
        )
    homes = [absolute(request, path) for path in _in_every_language("help:home").values()]
    return render(
        request,
        "help/sitemap.xml",
        {"urls": urls, "homes": homes},
        content_type="application/xml; charset=utf-8",
    )


@require_GET
def article_file(request: HttpRequest, file_id: int, name: str) -> FileResponse:
    f = get_object_or_404(ArticleFile.objects.select_related("article"), pk=file_id)
    agent = request.user.is_authenticated
    public = f.article.visibility == Visibility.PUBLIC and (
        help_center.public_translations().filter(article=f.article).exists()
    )
    if not (agent or public):
        raise Http404(_("No such file."))
    inline = f.content_type.startswith(("image/", "video/"))
    response = FileResponse(
        f.file.open("rb"),
        content_type=f.content_type,
        as_attachment=not inline,
        filename=f.filename,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "public, max-age=3600" if public else "private, max-age=300"
    return response


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Allow: /help/",
        "Disallow: /",
        f"Sitemap: {absolute(request, reverse('help:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
