import pytest

from config import ConfigError, load_settings


def write(tmp_path, text):
    path = tmp_path / "closeloop.toml"
    path.write_text(text)
    return path


def test_it_has_the_documented_response_time_defaults():
    sla = load_settings(env={}).sla.first_response_minutes
    assert (sla.urgent, sla.high, sla.normal, sla.low) == (30, 60, 240, 1440)


def test_a_file_overrides_the_defaults_and_the_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, "[sla.first_response_minutes]\nurgent = 15\n[web]\nport = 9000\n")
    settings = load_settings(path, env={"CLOSELOOP_WEB__PORT": "9100"})
    assert settings.sla.first_response_minutes.urgent == 15
    assert settings.sla.first_response_minutes.high == 60
    assert settings.web.port == 9100


def test_what_one_load_overrides_is_not_left_in_the_next(tmp_path):
    path = write(tmp_path, "[sla.first_response_minutes]\nurgent = 15\n")
    load_settings(path, env={}, overrides={"web": {"port": 9200}, "brand": {"name": "Globex"}})
    settings = load_settings(env={})
    assert (settings.sla.first_response_minutes.urgent, settings.web.port) == (30, 8000)
    assert settings.brand.name != "Globex"


def test_the_config_file_can_come_from_the_environment(tmp_path):
    path = write(tmp_path, '[brand]\nname = "Globex"\n')
    assert load_settings(env={"CLOSELOOP_CONFIG": str(path)}).brand.name == "Globex"


def test_the_database_url_comes_from_closeloop_database_url():
    settings = load_settings(env={"CLOSELOOP_DATABASE_URL": "postgresql+psycopg://db/closeloop"})
    assert settings.database.url == "postgresql+psycopg://db/closeloop"


def test_a_bad_value_names_the_key_the_value_and_what_is_allowed(tmp_path):
    path = write(tmp_path, '[sla.first_response_minutes]\nurgent = "soon"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path, env={})
    message = str(error.value)
    assert "sla.first_response_minutes.urgent" in message
    assert "'soon'" in message
    assert "integer" in message


def test_a_negative_target_is_refused():
    with pytest.raises(ConfigError, match=r"sla.first_response_minutes.high = '-5': Input should be greater than 0"):
        load_settings(env={"CLOSELOOP_SLA__FIRST_RESPONSE_MINUTES__HIGH": "-5"})


def test_a_short_secret_key_is_refused_without_showing_it():
    with pytest.raises(ConfigError) as error:
        load_settings(env={"CLOSELOOP_WEB__SECRET_KEY": "change-me"})
    message = str(error.value)
    assert "web.secret_key: is 9 characters long" in message
    assert "closeloop init" in message
    assert "change-me" not in message


def test_a_secret_key_of_32_characters_or_none_is_taken():
    assert load_settings(env={"CLOSELOOP_WEB__SECRET_KEY": "k" * 32}).web.secret_key == "k" * 32
    assert load_settings(env={}).web.secret_key == ""


def test_an_unknown_key_is_refused(tmp_path):
    path = write(tmp_path, "[sla.first_response_minutes]\nurgnet = 10\n")
    with pytest.raises(ConfigError, match="urgnet: unknown setting"):
        load_settings(path, env={})


@pytest.mark.parametrize("toml, said", [
    ("[web]\nrequest_timout_seconds = 30\n", "web.request_timout_seconds: unknown setting: "
                                              "did you mean web.request_timeout_seconds?"),
    ('[[sources]]\nname = "x"\naccount = "a"\nkind = "mentions"\npoll_second = 60\n',
     "sources.0.poll_second: unknown setting: did you mean sources.0.poll_seconds?"),
    ('[teams.care]\nslack_webhok = "env:HOOK"\n', "teams.care.slack_webhok: unknown setting: "
                                                    "did you mean teams.care.slack_webhook?"),
    ("[metric]\ntoken = \"t\"\n", "metric: unknown setting: did you mean metrics?"),
    ("[database]\nhost = \"db\"\n", "database.host: unknown setting: remove it (allowed here: url)"),
])
def test_an_unknown_key_names_the_key_it_was_likely_meant_to_be(tmp_path, toml, said):
    with pytest.raises(ConfigError) as refused:
        load_settings(write(tmp_path, toml), env={})
    assert said in str(refused.value)


def test_a_file_that_is_not_toml_is_refused_with_its_name(tmp_path):
    path = write(tmp_path, "[sla\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(path, env={})


def test_a_missing_config_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_a_source_must_name_a_defined_account(tmp_path):
    path = write(tmp_path, '[[sources]]\nname = "x-mentions"\naccount = "acme_x"\nkind = "mentions"\n')
    with pytest.raises(ConfigError, match="account 'acme_x', which is not defined"):
        load_settings(path, env={})


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ConfigError, match="web.timezone = 'Mars/Olympus'"):
        load_settings(env={"CLOSELOOP_WEB__TIMEZONE": "Mars/Olympus"})


def test_priority_thresholds_must_be_ordered():
    with pytest.raises(ConfigError, match="urgent >= high >= normal"):
        load_settings(env={}, overrides={"scoring": {"priority_thresholds": {"urgent": 0.2}}})


def test_credentials_are_read_from_the_environment_and_never_shown(tmp_path, monkeypatch):
    path = write(tmp_path, '[accounts.acme_x]\nplatform = "x"\nbearer_token = "env:ACME_X_TOKEN"\n')
    monkeypatch.setenv("ACME_X_TOKEN", "s3cret-value")
    account = load_settings(path, env={}).accounts["acme_x"]
    assert account.credential("bearer_token") == "s3cret-value"
    assert "s3cret" not in repr(account) and "ACME_X_TOKEN" not in str(account)


def test_a_missing_credential_variable_names_it(tmp_path, monkeypatch):
    path = write(tmp_path, '[accounts.acme_x]\nplatform = "x"\nbearer_token = "env:ACME_X_TOKEN"\n')
    monkeypatch.delenv("ACME_X_TOKEN", raising=False)
    account = load_settings(path, env={}).accounts["acme_x"]
    with pytest.raises(ConfigError, match="bearer_token: environment variable ACME_X_TOKEN is not set"):
        account.credential("bearer_token")


def test_credentials_can_come_from_a_secrets_file(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    path = write(tmp_path, f'[accounts.acme_x]\nplatform = "x"\nbearer_token = "file:{secret}"\n')
    assert load_settings(path, env={}).accounts["acme_x"].credential("bearer_token") == "from-file"


def test_bad_business_hours_name_the_day_and_the_problem():
    with pytest.raises(ConfigError, match=r"teams.care.hours.*tuesday: '13:00-12:00' ends before it starts"):
        load_settings(env={}, overrides={"teams": {"care": {"hours": {"timezone": "UTC", "tuesday": ["13:00-12:00"]}}}})


def test_a_follow_up_template_with_an_unknown_placeholder_is_refused_naming_it():
    with pytest.raises(ConfigError, match=r"unknown placeholder \{firstname\}; allowed: \{first_name\}"):
        load_settings(env={}, overrides={"followups": {"templates": {"default": "Hi {firstname}!"}}})


def test_a_follow_up_template_must_be_well_formed_and_keyed_by_platform():
    with pytest.raises(ConfigError, match="not a valid template"):
        load_settings(env={}, overrides={"followups": {"templates": {"default": "Hi {first_name"}}})
    for key in ("myspace", "x.spanish", "ES"):
        with pytest.raises(ConfigError, match="keys are 'default', a platform"):
            load_settings(env={}, overrides={"followups": {"templates": {"default": "Hi", key: "Hi"}}})
    with pytest.raises(ConfigError, match="takes no format"):
        load_settings(env={}, overrides={"followups": {"templates": {"default": "Hi {first_name!r}"}}})


def test_a_follow_up_template_is_picked_by_platform_and_language():
    settings = load_settings(env={}, overrides={"followups": {"templates": {
        "default": "Hi {first_name}", "x": "Hey {first_name}", "es": "Hola {first_name}",
        "x.es": "¡Hola {first_name}!"}}})
    pick = settings.followups.template_for
    assert (pick("x", "es"), pick("reddit", "es"), pick("x", "de"), pick("x"), pick("reddit")) == (
        "¡Hola {first_name}!", "Hola {first_name}", "Hey {first_name}", "Hey {first_name}", "Hi {first_name}")


def test_a_follow_up_template_per_platform_falls_back_to_the_default():
    settings = load_settings(env={}, overrides={"followups": {"templates": {
        "default": "Hi {first_name}, sorted?", "reddit": "Hey u/{first_name}, did {ticket_ref} help?"}}})
    assert settings.followups.template_for("reddit").startswith("Hey u/")
    assert settings.followups.template_for("x") == "Hi {first_name}, sorted?"


def test_the_follow_up_channel_is_the_thread_unless_set():
    assert load_settings(env={}).followups.channel == "thread"
    assert load_settings(env={}, overrides={"followups": {"channel": "direct_message"}}).followups.channel == (
        "direct_message")


def test_an_unknown_follow_up_channel_names_the_key_the_value_and_what_is_allowed(tmp_path):
    path = write(tmp_path, '[followups]\nchannel = "sms"\n')
    with pytest.raises(ConfigError, match=r"followups.channel = 'sms': Input should be 'thread' or 'direct_message'"):
        load_settings(path, env={})


def test_a_team_taking_a_topic_that_does_not_exist_is_refused_naming_it():
    with pytest.raises(ConfigError, match="team 'billing' takes topic 'refunds_typo', which is not a topic"):
        load_settings(env={}, overrides={"teams": {"care": {}, "billing": {"topics": ["refunds_typo"],
                                                                            "private": True}}})
