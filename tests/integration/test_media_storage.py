"""A post's photos and videos are stored with it, one row each, once."""

from dataclasses import replace

from sqlalchemy import func, select

from connectors.base import Media
from listener.intake import Intake
from listener.quarantine import quarantine_post, retry_quarantined
from store.models import Mention, MentionMedia, QuarantinedPost
from tests.integration.loop_helpers import post

PHOTO = Media(url="https://pbs.twimg.com/media/a.jpg", kind="image", alt_text="a broken box", width=1200,
              height=800, size_bytes=51200)
VIDEO = Media(url="", kind="video", preview_url="https://pbs.twimg.com/ext_tw_video_thumb/1/b.jpg")


def with_media(text, *media, **kwargs):
    return replace(post(text, **kwargs), media=tuple(media))


def test_each_photo_and_video_is_stored_with_its_post_in_order(db, settings, clock):
    photo_post = with_media("@acme the box arrived like this", PHOTO, VIDEO)
    with db.transaction() as session:
        Intake(settings).ingest(session, [photo_post, post("@acme hello", handle="lee")], clock.now())
    with db.transaction() as session:
        mention = session.scalar(select(Mention).where(Mention.external_id == photo_post.external_id))
        assert [(m.position, m.kind, m.url, m.alt_text, m.width, m.size_bytes, m.preview_url)
                for m in mention.media] == [
            (0, "image", PHOTO.url, "a broken box", 1200, 51200, ""),
            (1, "video", "", "", None, None, VIDEO.preview_url),
        ]
        assert session.scalar(select(func.count()).select_from(MentionMedia)) == 2


def test_a_post_that_arrives_twice_keeps_one_row_per_photo(db, settings, clock):
    photo_post = with_media("@acme look at this", PHOTO)
    intake = Intake(settings)
    for _ in range(2):
        with db.transaction() as session:
            intake.ingest(session, [photo_post], clock.now())
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MentionMedia)) == 1


def test_media_without_an_address_or_of_an_odd_kind_are_left_out_and_the_post_is_kept(db, settings, clock):
    odd = with_media("@acme see attached", Media(url="", kind="image"), Media(url=PHOTO.url, kind="sticker"),
                     Media(url="javascript:alert(1)", kind="image"),
                     replace(PHOTO, width=2**40, size_bytes=-5, url="https://pbs.twimg.com/media/" + "x" * 5000),
                     replace(PHOTO, width=2**40, size_bytes=-5))
    with db.transaction() as session:
        report = Intake(settings).ingest(session, [odd], clock.now())
    assert report.stored == 1
    with db.transaction() as session:
        [row] = session.scalars(select(MentionMedia)).all()
        assert (row.position, row.url, row.width, row.size_bytes) == (0, PHOTO.url, None, None)


def test_a_quarantined_post_keeps_its_media_and_brings_them_when_taken_in_again(db, settings, clock):
    photo_post = with_media("@acme look at the box", PHOTO, VIDEO)
    with db.transaction() as session:
        quarantine_post(session, photo_post, RuntimeError("the scorer failed"), None, clock.now())
    with db.transaction() as session:
        [row] = session.scalars(select(QuarantinedPost)).all()
        retry_quarantined(session, Intake(settings), row.id, clock.now())
    with db.transaction() as session:
        mention = session.scalar(select(Mention).where(Mention.external_id == photo_post.external_id))
        assert [(m.kind, m.url, m.alt_text, m.preview_url) for m in mention.media] == [
            ("image", PHOTO.url, PHOTO.alt_text, ""), ("video", "", "", VIDEO.preview_url)]
