"""The registry: what the rest of closeloop reads about each platform comes
from its connector class, and a source is checked against what its
platform's connector offers."""

import pytest

from config import ConfigError, load_settings
from config.platforms import PLATFORMS
from connectors.registry import check_sources, connector_class, message_limit, reply_limit


def settings_with(platform: str, **source):
    return load_settings(env={}, overrides={"accounts": {"a": {"platform": platform}},
                                            "sources": [{"name": "s", "account": "a", **source}]})


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_names_its_connector_and_the_connector_its_platform(platform):
    assert connector_class(platform).platform == platform


def test_the_reply_and_message_lengths_are_the_connectors():
    assert [reply_limit(p) for p in PLATFORMS] == [280, 8000, 10000, 4000, 2200]
    assert message_limit("x") == 10000
    assert message_limit("facebook") == 2000
    assert message_limit("instagram") == 1000
    assert message_limit("reddit") == 0


def test_a_source_kind_must_be_one_its_platform_offers():
    with pytest.raises(ConfigError, match="source 's': kind 'reviews' is not one of x's: mentions, search, "
                                          "direct_messages"):
        check_sources(settings_with("x", kind="reviews"))


def test_a_source_gets_the_target_its_kind_needs():
    with pytest.raises(ConfigError, match="x search sources need a target: the search query"):
        check_sources(settings_with("x", kind="search"))


def test_a_reddit_search_source_needs_a_query():
    with pytest.raises(ConfigError, match="reddit search sources need a query"):
        check_sources(settings_with("reddit", kind="search", target="acme"))


@pytest.mark.parametrize("platform, kind", [("x", "mentions"), ("x", "direct_messages"), ("reddit", "mentions")])
def test_a_source_of_the_accounts_own_kind_needs_no_target(platform, kind):
    check_sources(settings_with(platform, kind=kind))


def test_a_command_refuses_a_config_whose_source_its_platform_does_not_offer(tmp_path):
    from click.testing import CliRunner

    from closeloop.cli import main

    config = tmp_path / "closeloop.toml"
    config.write_text('[accounts.a]\nplatform = "x"\n[[sources]]\nname = "s"\naccount = "a"\nkind = "reviews"\n')

    result = CliRunner().invoke(main, ["--config", str(config), "migrate"])

    assert result.exit_code == 2
    assert "source 's': kind 'reviews' is not one of x's" in result.output
