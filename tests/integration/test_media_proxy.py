"""The media proxy: a post's photo is passed on from the platform's own
hosts, of a shown type and size, to people who may see the post; anything
else is refused with the reason and logged."""

import logging

import pytest
from sqlalchemy import select, update

from connectors.base import Media
from store.media import add_media
from store.models import Agent, Mention, Ticket
from tests.integration.web_helpers import make_world

LIMIT = 20_000


@pytest.fixture
def world(db, clock, emulator):
    return make_world(db, clock, web={"media_max_bytes": LIMIT},
                      accounts={"acme_x": {"platform": "x", "base_url": emulator.url, "bearer_token": "t"}},
                      teams={"care": {}, "billing": {"private": True}})


def with_media(world, *media, **ticket):
    """A ticket whose post carries `media`; the post's id."""
    ticket_id = world.ticket("this is how it arrived", **ticket)
    with world.db.transaction() as session:
        mention_id = session.scalar(select(Mention.id).where(Mention.ticket_id == ticket_id))
        add_media(session, [(mention_id, media)])
    return mention_id


def photo(emulator, name):
    return Media(url=f"{emulator.url}/_emulator/media/{name}", kind="image", alt_text="a crushed box")


def test_a_photo_is_passed_on_with_its_type_and_safe_headers(world, client, emulator):
    post = with_media(world, photo(emulator, "box.png"))

    response = client.get(f"/media/{post}/0/file")

    assert response.status_code == 200
    assert response.content_type == "image/png" and response.data.startswith(b"\x89PNG")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "max-age" in response.headers["Cache-Control"]


def test_a_videos_thumbnail_is_its_preview_image(world, client, emulator):
    post = with_media(world, Media(url="", kind="video", preview_url=f"{emulator.url}/_emulator/media/clip.png"))

    assert client.get(f"/media/{post}/0/thumbnail").content_type == "image/png"
    assert client.get(f"/media/{post}/0/file").status_code == 404


@pytest.mark.parametrize("address, reason", [
    ("https://pbs.twimg.com.evil.example/a.png", "not x's address"),
    ("{emulator}/_emulator/media/away/box.png", "not the platform's address (localhost)"),
    ("{emulator}/_emulator/media/page.html", "type text/html is not shown"),
    ("{emulator}/_emulator/media/big.png?pad=30000", "larger than 20 kB (3"),
    ("{emulator}/_emulator/media/big.png?pad=30000&length=hidden", "larger than 20 kB"),
])
def test_what_is_not_the_platforms_or_not_shown_is_refused_and_logged(world, client, emulator, caplog,
                                                                      address, reason):
    post = with_media(world, Media(url=address.format(emulator=emulator.url), kind="image"))

    with caplog.at_level(logging.WARNING, logger="listener.media"):
        response = client.get(f"/media/{post}/0/file")

    assert response.status_code == 422
    assert response.get_data(as_text=True).startswith(f"not shown: {reason}")
    assert any(f"media 0 of post {post}" in r.getMessage() for r in caplog.records)


def test_a_body_longer_than_announced_is_cut_short(world, client, emulator):
    post = with_media(world, photo(emulator, "box.png?announce=100"))

    response = client.get(f"/media/{post}/0/file")

    assert len(response.data) <= 100


def test_someone_who_may_not_see_the_ticket_gets_404(world, client, emulator):
    post = with_media(world, photo(emulator, "box.png"))
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == session.get(Mention, post).ticket_id)
                        .values(team="billing"))
        session.execute(update(Agent).values(team="care"))

    assert client.get(f"/media/{post}/0/file").status_code == 404
    assert client.get(f"/media/{post + 1}/0/file").status_code == 404


def test_it_needs_a_signed_in_person_or_a_token(world, emulator):
    post = with_media(world, photo(emulator, "box.png"))

    assert world.client().get(f"/media/{post}/0/file").status_code in (302, 401)


def test_the_ticket_page_and_the_stream_show_thumbnails_with_alt_text_or_why_not(world, client, emulator):
    post = with_media(world, photo(emulator, "box.png"), Media(url="https://elsewhere.example/a.png", kind="image"),
                      Media(url="", kind="video", preview_url=f"{emulator.url}/_emulator/media/clip.png"))
    with world.db.transaction() as session:
        ticket_id = session.get(Mention, post).ticket_id

    for page in (client.get(f"/tickets/{ticket_id}"), client.get("/mentions")):
        html = page.get_data(as_text=True)
        assert f'<img src="/media/{post}/0/thumbnail" alt="a crushed box"' in html
        assert f'data-full="/media/{post}/0/file"' in html
        assert "not shown: not x&#39;s address" in html
        assert f'<img src="/media/{post}/2/thumbnail" alt="a video without a description"' in html
        assert "▶ play on X" in html
        assert "elsewhere.example" not in html and emulator.url not in html


def test_the_api_gives_a_posts_media_at_proxied_addresses(world, client, emulator):
    post = with_media(world, photo(emulator, "box.png"))
    with world.db.transaction() as session:
        ticket_id = session.get(Mention, post).ticket_id
    token = world.token(client)

    [mention] = client.get(f"/api/v1/tickets/{ticket_id}", headers={"Authorization": f"Bearer {token}"}
                           ).get_json()["mentions"]

    assert mention["media"] == [{"position": 0, "kind": "image", "alt_text": "a crushed box", "width": None,
                                 "height": None, "size_bytes": None, "url": f"/media/{post}/0/file",
                                 "preview_url": f"/media/{post}/0/thumbnail", "not_shown": None}]
    fetched = world.client().get(mention["media"][0]["url"], headers={"Authorization": f"Bearer {token}"})
    assert fetched.status_code == 200 and fetched.content_type == "image/png"


def test_a_file_the_platform_says_is_too_large_is_refused_without_fetching_it(world, client, emulator, monkeypatch):
    post = with_media(world, Media(url=f"{emulator.url}/_emulator/media/huge.png", kind="image",
                                   size_bytes=3 * LIMIT))
    monkeypatch.setattr("web.media.open_media", lambda *args, **kwargs: pytest.fail("the file was fetched"))

    response = client.get(f"/media/{post}/0/file")

    assert (response.status_code, response.get_data(as_text=True)) == (
        422, "not shown: larger than 20 kB (60 kB)")
