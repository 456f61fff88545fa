"""What the emulator records of what it received stops growing at
RECORDS_KEPT: the newest are kept, the oldest dropped."""

import smtplib
from email.message import EmailMessage

from connectors.emulator import app, hooks, mail, slack
from connectors.emulator.app import EmulatorState


def test_the_request_log_keeps_the_newest_calls():
    state = EmulatorState("acme", "Acme")
    for n in range(app.RECORDS_KEPT + 5):
        state.record_request("x", "GET", f"/2/tweets/{n}", {})
    calls = state.requests("x")
    assert len(calls) == app.RECORDS_KEPT
    assert calls[0]["path"] == "/2/tweets/5" and calls[-1]["path"] == f"/2/tweets/{app.RECORDS_KEPT + 4}"


def test_slack_messages_and_webhook_deliveries_stop_growing_at_the_bound():
    messages, deliveries = slack.SlackState(), hooks.HooksState()
    for n in range(app.RECORDS_KEPT + 3):
        messages.capture("care", f"alert {n}", None)
        deliveries.capture("crm", {}, f"event {n}")
    assert [m["text"] for m in messages.messages()][:1] == ["alert 3"]
    assert len(messages.messages()) == app.RECORDS_KEPT
    assert [d["body"] for d in deliveries.deliveries("crm")][-1] == f"event {app.RECORDS_KEPT + 2}"
    assert len(deliveries.deliveries("crm")) == app.RECORDS_KEPT


def test_the_mail_catcher_keeps_the_newest_messages(monkeypatch):
    monkeypatch.setattr(mail, "RECORDS_KEPT", 2)
    with mail.MailCatcher() as catcher:
        for n in range(3):
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", f"mail {n}"
            message.set_content("body")
            with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as smtp:
                smtp.send_message(message)
        assert [m.subject for m in catcher.messages] == ["mail 1", "mail 2"]
