"""Turn an article's video address into something a page can play.

Pages of the common video hosts become their privacy-friendly embed players; an mp4
(uploaded to the article or elsewhere) is played by the browser's own <video> element.
Anything else is shown as a plain link.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def embed(url: str) -> dict[str, str] | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} and not url.startswith("/"):
        return None
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host in {"youtube.com", "youtube-nocookie.com"}:
        if parsed.path == "/watch":
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        elif parsed.path.startswith(("/embed/", "/shorts/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.strip("/")
    if video_id:
        if not _ID.match(video_id):
            return None
        return {"kind": "iframe", "src": f"https://www.youtube-nocookie.com/embed/{video_id}"}
    if host == "vimeo.com" and parsed.path.strip("/").isdigit():
        return {"kind": "iframe", "src": f"https://player.vimeo.com/video/{parsed.path.strip('/')}"}
    if parsed.path.lower().endswith((".mp4", ".webm")):
        return {"kind": "video", "src": url}
    return {"kind": "link", "src": url}
