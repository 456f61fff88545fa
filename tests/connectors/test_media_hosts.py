"""Where each platform's photos and videos may be fetched from: the hosts
its connector declares, over https, and its accounts' own addresses."""

import pytest

from config.settings import AccountSettings
from connectors.registry import media_hosts


@pytest.mark.parametrize("platform, url", [
    ("x", "https://pbs.twimg.com/media/GfQ1aXbWcAA7zQk.jpg"),
    ("x", "https://video.twimg.com/ext_tw_video/1/pu/vid/720x1280/a.mp4"),
    ("facebook", "https://scontent-arn2-1.xx.fbcdn.net/v/t39.30808-6/4711_n.jpg"),
    ("reddit", "https://i.redd.it/b0x9q2.jpeg"),
    ("reddit", "https://b.thumbs.redditmedia.com/vz81q0.jpg"),
    ("instagram", "https://scontent.cdninstagram.com/v/t51.2885-15/1.jpg"),
])
def test_a_platforms_own_media_hosts_are_allowed(platform, url):
    assert media_hosts(platform, {}).allow(url)


@pytest.mark.parametrize("platform, url", [
    ("x", "https://pbs.twimg.com.evil.example/a.jpg"),
    ("x", "http://pbs.twimg.com/media/a.jpg"),
    ("x", "https://pbs.twimg.com:8443/media/a.jpg"),
    ("x", "https://someone@pbs.twimg.com/media/a.jpg"),
    ("x", "https://scontent-arn2-1.xx.fbcdn.net/v/a.jpg"),
    ("facebook", "https://fbcdn.net.evil.example/a.jpg"),
    ("reddit", "https://www.reddit.com/r/acme/a.jpg"),
    ("reviews", "https://store.example.com/a.jpg"),
    ("x", "javascript:alert(1)"),
    ("x", "https://[::1/a.jpg"),
])
def test_anything_else_is_refused(platform, url):
    assert not media_hosts(platform, {}).allow(url)


def test_an_accounts_address_is_allowed_for_its_platform_only():
    accounts = {"demo_x": AccountSettings(platform="x", base_url="http://127.0.0.1:8001", bearer_token="t")}

    assert media_hosts("x", accounts).allow("http://127.0.0.1:8001/_emulator/media/a.png")
    assert not media_hosts("x", accounts).allow("http://127.0.0.1:8002/_emulator/media/a.png")
    assert not media_hosts("reddit", accounts).allow("http://127.0.0.1:8001/_emulator/media/a.png")
