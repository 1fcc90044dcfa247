from django.urls import path

from . import help_views

app_name = "help"

urlpatterns = [
    path("", help_views.start, name="start"),
    path("sitemap.xml", help_views.sitemap, name="sitemap"),
    path("articles/<int:article_id>/", help_views.article_any_locale, name="article_any"),
    path("files/<int:file_id>/<str:name>", help_views.article_file, name="file"),
    path("<str:locale>/", help_views.home, name="home"),
    path("<str:locale>/search", help_views.search_page, name="search"),
    path("<str:locale>/suggest", help_views.suggest, name="suggest"),
    path("<str:locale>/asked", help_views.asked, name="asked"),
    path(
        "<str:locale>/categories/<int:category_id>-<str:slug>/",
        help_views.category,
        name="category",
    ),
    path("<str:locale>/articles/<int:article_id>-<str:slug>/", help_views.article, name="article"),
    path("<str:locale>/articles/<int:article_id>/feedback", help_views.feedback, name="feedback"),
    path("<str:locale>/articles/<int:article_id>/left", help_views.left, name="left"),
]
