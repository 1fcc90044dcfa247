"""Files kept by their content (attachments and original mail): written once, always
whole under their name."""

from pathlib import Path

from sahayak.conversations import attachments


def test_the_same_bytes_are_kept_once_under_their_digest(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    name, digest = attachments.keep(b"invoice 42", "attachments")
    again, _ = attachments.keep(b"invoice 42", "attachments")
    assert name == again == f"attachments/{digest[:2]}/{digest}"
    assert (tmp_path / name).read_bytes() == b"invoice 42"
    assert [p.name for p in (tmp_path / name).parent.iterdir()] == [digest]


def test_a_file_left_short_by_an_interrupted_write_is_written_again(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    content = "संदेश का मूल पाठ".encode() * 100
    name, _ = attachments.keep(content, "raw-mail", ".eml")
    path = Path(tmp_path / name)
    path.write_bytes(content[:10])
    attachments.keep(content, "raw-mail", ".eml")
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left
    assert oct(path.stat().st_mode & 0o777) == oct(settings.FILE_UPLOAD_PERMISSIONS)
