"""The alert outbox delivering to the emulator's Slack hooks and a local SMTP
server, on both databases."""

import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from config.settings import AlertSettings, TeamSettings
from responder.alerts import AlertOutbox, slack_webhook_for
from connectors.backoff import JITTER
from store.alerts import Recipient, queue_alerts
from store.db import Database
from store.models import Alert
from connectors.emulator.mail import MailCatcher, free_port

SUBJECT = "Ticket 7 breached its first response target"
BODY = "Maria on x: Where is my refund?"
LINK = "https://closeloop.example/tickets/7"
SLACK = Recipient("slack", "care")
EMAIL = Recipient("email", "lead@acme.example")
WEB = Recipient("web", "ada@acme.example")


@pytest.fixture
def smtp():
    with MailCatcher() as receiver:
        yield receiver


def alert_settings(smtp, **changes):
    values = dict(interval_seconds=1, max_attempts=3, backoff_seconds=10, timeout_seconds=2,
                  base_url="https://closeloop.example/", smtp_host=smtp.host, smtp_port=smtp.port,
                  smtp_from="alerts@acme.example")
    return AlertSettings(**{**values, **changes})


def backoff_after(failures):
    """The shortest wait after that many failures in a row: backoff_seconds
    doubled each time, less the most the jitter takes off."""
    return timedelta(seconds=10 * 2 ** (failures - 1) * (1 - JITTER))


def hooks(emulator):
    return lambda name: f"{emulator.url}/_emulator/slack/hooks/{name}"


@pytest.fixture
def outbox(db, clock, emulator, smtp):
    return AlertOutbox(db, alert_settings(smtp), clock, hooks(emulator))


def queue(db, clock, *recipients, link="/tickets/7", body=BODY, key="breach:7:first_response"):
    with db.transaction() as session:
        alerts = queue_alerts(session, key=key, kind="breached", ticket=None, recipients=list(recipients),
                              subject=SUBJECT, body=body, link=link, now=clock.now())
        session.flush()
        return [a.id for a in alerts]


def alert(db, alert_id):
    with db.transaction() as session:
        return session.get(Alert, alert_id)


def slack_messages(emulator):
    return requests.get(f"{emulator.url}/_emulator/slack/messages", timeout=5).json()["messages"]


def add_fault(emulator, **fault):
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "slack", **fault}, timeout=5)
    assert response.status_code == 201, response.text


def test_it_posts_a_slack_alert_to_the_team_hook_with_the_text_and_a_link(db, clock, emulator, outbox):
    [alert_id] = queue(db, clock, SLACK)
    clock.advance(seconds=5)

    assert outbox.send_due() == 1

    [message] = slack_messages(emulator)
    assert message["hook"] == "care"
    assert message["text"] == f"{SUBJECT}\n{LINK}"
    section, actions = message["blocks"]
    assert section["text"] == {"type": "mrkdwn", "text": f"*{SUBJECT}*\n{BODY}"}
    assert actions["elements"][0]["url"] == LINK
    sent = alert(db, alert_id)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, clock.now(), None)


def test_it_escapes_customer_text_so_it_cannot_ping_a_channel(db, clock, emulator, outbox):
    queue(db, clock, SLACK, body="<!channel> refund me & <https://evil.example|click>")

    outbox.send_due()

    [section, _] = slack_messages(emulator)[0]["blocks"]
    assert section["text"]["text"].endswith(
        "&lt;!channel&gt; refund me &amp; &lt;https://evil.example|click&gt;")


def test_it_emails_an_alert_with_the_subject_body_and_link(db, clock, smtp, outbox):
    [alert_id] = queue(db, clock, EMAIL)

    assert outbox.send_due() == 1

    [mail] = smtp.messages
    assert (mail.sender, mail.recipients) == ("alerts@acme.example", ("lead@acme.example",))
    assert mail.subject == SUBJECT
    assert mail.body == f"{BODY}\n\n{LINK}\n"
    assert mail.message["Message-ID"].startswith(f"<alert.{alert_id}.")
    assert mail.message["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"
    assert alert(db, alert_id).status == "sent"


def test_it_keeps_a_link_that_is_already_a_whole_url(db, clock, smtp, outbox):
    queue(db, clock, EMAIL, link="https://crm.example/case/9?tab=notes")

    outbox.send_due()

    assert smtp.messages[0].body.endswith("\n\nhttps://crm.example/case/9?tab=notes\n")


def test_it_logs_in_with_the_password_the_secret_reference_names(db, clock, emulator, monkeypatch):
    monkeypatch.setenv("ALERTS_SMTP_PASSWORD", "s3cret")
    with MailCatcher(credentials=("alerts", "s3cret")) as smtp:
        settings = alert_settings(smtp, smtp_user="alerts", smtp_password="env:ALERTS_SMTP_PASSWORD")
        queue(db, clock, EMAIL)

        assert AlertOutbox(db, settings, clock, hooks(emulator)).send_due() == 1

        assert [m.login for m in smtp.messages] == ["alerts"]


def test_it_fails_an_email_alert_at_once_when_the_login_is_refused(db, clock, emulator):
    with MailCatcher(credentials=("alerts", "s3cret")) as smtp:
        settings = alert_settings(smtp, smtp_user="alerts", smtp_password="wrong")
        [alert_id] = queue(db, clock, EMAIL)

        AlertOutbox(db, settings, clock, hooks(emulator)).send_due()

        failed = alert(db, alert_id)
        assert failed.status == "failed"
        assert failed.last_error.startswith("the mail server answered 535")
        assert smtp.messages == []


def test_it_leaves_web_alerts_alone(db, clock, emulator, smtp, outbox):
    [alert_id] = queue(db, clock, WEB)
    clock.advance(minutes=1)

    assert outbox.send_due() == 0

    web = alert(db, alert_id)
    assert (web.status, web.attempts, web.sent_at) == ("sent", 0, clock.now() - timedelta(minutes=1))
    assert slack_messages(emulator) == []
    assert smtp.messages == []


def test_it_marks_a_queued_web_alert_sent(db, clock, emulator, outbox):
    [alert_id] = queue(db, clock, WEB)
    with db.transaction() as session:
        session.execute(update(Alert).values(status="queued", sent_at=None, next_attempt_at=clock.now()))

    assert outbox.send_due() == 1

    web = alert(db, alert_id)
    assert (web.status, web.sent_at) == ("sent", clock.now())
    assert slack_messages(emulator) == []


def test_it_retries_a_slack_500_after_the_backoff_and_then_posts_once(db, clock, emulator, outbox):
    add_fault(emulator, status=500)
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()

    waiting = alert(db, alert_id)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.last_error == "Slack answered 500 internal_error"
    wait = waiting.next_attempt_at - clock.now()
    assert backoff_after(1) <= wait <= timedelta(seconds=10)
    clock.advance(seconds=wait.total_seconds() - 1)
    assert outbox.send_due() == 0
    clock.advance(seconds=1)
    assert outbox.send_due() == 1
    assert [m["hook"] for m in slack_messages(emulator)] == ["care"]
    assert (alert(db, alert_id).status, alert(db, alert_id).last_error) == ("sent", None)


def test_it_retries_an_smtp_451_after_the_backoff_and_then_emails_once(db, clock, smtp, outbox):
    smtp.refuse_next(451, "4.3.0 Mailbox busy")
    [alert_id] = queue(db, clock, EMAIL)

    outbox.send_due()

    waiting = alert(db, alert_id)
    assert (waiting.status, waiting.last_error) == ("queued", "the mail server answered 451 4.3.0 Mailbox busy")
    assert smtp.messages == []
    clock.advance(seconds=(waiting.next_attempt_at - clock.now()).total_seconds() - 1)
    assert outbox.send_due() == 0
    clock.advance(seconds=1)
    assert outbox.send_due() == 1
    assert len(smtp.messages) == 1
    assert alert(db, alert_id).status == "sent"


def test_it_waits_for_the_retry_after_of_a_slack_429(db, clock, emulator, outbox):
    add_fault(emulator, status=429, retry_after=90)
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()

    assert alert(db, alert_id).next_attempt_at == clock.now() + timedelta(seconds=90)
    clock.advance(seconds=89)
    assert outbox.send_due() == 0
    clock.advance(seconds=1)
    assert outbox.send_due() == 1
    assert len(slack_messages(emulator)) == 1


def test_it_fails_a_slack_alert_at_once_on_an_invalid_token(db, clock, emulator, outbox):
    add_fault(emulator, status=403)
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()
    clock.advance(hours=1)
    assert outbox.send_due() == 0

    failed = alert(db, alert_id)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 1, None)
    assert failed.last_error == "Slack answered 403 invalid_token"
    assert slack_messages(emulator) == []


@pytest.mark.parametrize("at, code", [("rcpt", 550), ("data", 554)])
def test_it_fails_an_email_alert_at_once_when_the_server_refuses_it(db, clock, smtp, outbox, at, code):
    smtp.refuse_next(code, "5.1.1 No such user", at=at)
    [alert_id] = queue(db, clock, EMAIL)

    outbox.send_due()
    clock.advance(hours=1)
    outbox.send_due()

    failed = alert(db, alert_id)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error == f"the mail server answered {code} 5.1.1 No such user"
    assert smtp.messages == []


def test_it_gives_up_after_max_attempts_with_a_doubling_backoff(db, clock, emulator, outbox):
    add_fault(emulator, status=500, count=3)
    [alert_id] = queue(db, clock, SLACK)

    delays = []
    for _ in range(3):
        outbox.send_due()
        waiting = alert(db, alert_id)
        if waiting.next_attempt_at is not None:
            delays.append(waiting.next_attempt_at - clock.now())
            clock.advance(seconds=delays[-1].total_seconds())

    failed = alert(db, alert_id)
    assert len(delays) == 2
    assert backoff_after(1) <= delays[0] <= timedelta(seconds=10)
    assert backoff_after(2) <= delays[1] <= timedelta(seconds=20)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.last_error == "Slack answered 500 internal_error"
    assert slack_messages(emulator) == []


def test_it_retries_when_the_mail_server_cannot_be_reached(db, clock, emulator, smtp):
    port = free_port()
    outbox = AlertOutbox(db, alert_settings(smtp, smtp_port=port), clock, hooks(emulator))
    [alert_id] = queue(db, clock, EMAIL)

    outbox.send_due()

    waiting = alert(db, alert_id)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.last_error.startswith(f"cannot reach the mail server 127.0.0.1:{port}")


def test_it_retries_a_slack_call_that_times_out(db, clock, emulator, smtp):
    add_fault(emulator, status="timeout", seconds=1)
    outbox = AlertOutbox(db, alert_settings(smtp, timeout_seconds=0.2), clock, hooks(emulator))
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()

    waiting = alert(db, alert_id)
    assert (waiting.status, waiting.last_error) == ("queued", "cannot reach Slack: timed out")


def test_it_fails_at_once_when_the_team_has_no_webhook(db, clock, smtp):
    teams = {"care": TeamSettings()}
    outbox = AlertOutbox(db, alert_settings(smtp), clock, lambda name: slack_webhook_for(teams, name))
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()

    failed = alert(db, alert_id)
    assert failed.status == "failed"
    assert failed.last_error == "no Slack webhook for 'care'"


def test_it_fails_at_once_on_a_webhook_that_is_not_a_url_without_revealing_it(db, clock, smtp):
    outbox = AlertOutbox(db, alert_settings(smtp), clock, lambda name: "T0123/B0456/xoxb-secret")
    [alert_id] = queue(db, clock, SLACK)

    outbox.send_due()

    failed = alert(db, alert_id)
    assert failed.status == "failed"
    assert failed.last_error == "the Slack webhook for 'care' is not an http(s) URL"


def test_send_due_never_raises_when_a_webhook_lookup_raises(db, clock, smtp):
    def broken_lookup(name):
        raise RuntimeError("the vault is sealed")

    outbox = AlertOutbox(db, alert_settings(smtp), clock, broken_lookup)
    [slack_id, email_id] = queue(db, clock, SLACK, EMAIL)

    assert outbox.send_due() == 2

    waiting = alert(db, slack_id)
    assert (waiting.status, waiting.last_error) == (
        "queued", "cannot find the Slack webhook for 'care': the vault is sealed")
    assert alert(db, email_id).status == "sent"


def test_send_due_never_raises_when_the_database_cannot_be_reached(tmp_path, clock, emulator, smtp):
    unreachable = Database(f"sqlite:///{tmp_path}/missing/closeloop.db")

    assert AlertOutbox(unreachable, alert_settings(smtp), clock, hooks(emulator)).send_due() == 0


def test_it_sends_again_an_alert_left_sending_once_its_claim_runs_out(db, clock, emulator, outbox):
    [alert_id] = queue(db, clock, SLACK)
    with db.transaction() as session:
        session.execute(update(Alert).values(status="sending", attempts=1,
                                             next_attempt_at=clock.now() + timedelta(minutes=5)))

    clock.advance(minutes=4)
    assert outbox.send_due() == 0
    clock.advance(minutes=1)
    assert outbox.send_due() == 1

    assert len(slack_messages(emulator)) == 1
    assert (alert(db, alert_id).status, alert(db, alert_id).attempts) == ("sent", 2)


def test_two_outboxes_at_once_deliver_each_alert_once(db, clock, emulator, smtp):
    for n in range(5):
        queue(db, clock, SLACK, EMAIL, key=f"breach:{n}")
    boxes = [AlertOutbox(db, alert_settings(smtp), clock, hooks(emulator)) for _ in range(2)]
    barrier = threading.Barrier(2)
    handled, errors = [], []

    def send(box):
        try:
            barrier.wait()
            handled.append(box.send_due())
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(handled) == 10
    assert len(slack_messages(emulator)) == 5
    assert len(smtp.messages) == 5


def test_a_team_webhook_is_read_from_its_secret_reference(monkeypatch):
    monkeypatch.setenv("SLACK_CARE_WEBHOOK", "https://hooks.slack.example/services/T1/B2/x")
    teams = {"care": TeamSettings(slack_webhook="env:SLACK_CARE_WEBHOOK")}

    assert slack_webhook_for(teams, "care") == "https://hooks.slack.example/services/T1/B2/x"
    with pytest.raises(LookupError):
        slack_webhook_for(teams, "billing")
