"""The page's background refreshes (marked X-Background) leave the sign-in
cookie alone unless they changed the session: one that left before an
action's answer and came back after it cannot put back what the action
changed, such as a notice already shown."""

from web.sessions import BACKGROUND_HEADER

COOKIE = "closeloop_session"
BACKGROUND = {BACKGROUND_HEADER: "1"}


def sets_the_session_cookie(response) -> bool:
    return any(header.startswith(f"{COOKIE}=") for header in response.headers.getlist("Set-Cookie"))


def test_a_request_of_the_person_extends_the_session_and_a_background_refresh_does_not(world, client):
    ticket_id = world.ticket()

    assert sets_the_session_cookie(client.get(f"/tickets/{ticket_id}/pane"))
    assert not sets_the_session_cookie(client.get(f"/tickets/{ticket_id}/pane", headers=BACKGROUND))
    assert not sets_the_session_cookie(client.get("/inbox/rows", headers=BACKGROUND))


def test_a_refresh_sent_before_a_notice_was_shown_does_not_bring_it_back(world, client):
    ticket_id = world.ticket()
    client.get(f"/tickets/{ticket_id}")  # the page is open, its forms' token in the session
    client.post(f"/tickets/{ticket_id}/resolve")
    with_the_notice = client.get_cookie(COOKIE).value
    shown = client.get(f"/tickets/{ticket_id}", headers={"X-Pane": "1"}).get_data(as_text=True)
    assert f"Ticket {ticket_id} is resolved." in shown
    after_it = client.get_cookie(COOKIE).value

    # The open ticket's refresh left with the cookie that still held the notice.
    client.set_cookie(COOKIE, with_the_notice)
    refresh = client.get(f"/tickets/{ticket_id}/pane", headers=BACKGROUND)
    assert refresh.status_code == 200 and not sets_the_session_cookie(refresh)
    client.set_cookie(COOKIE, after_it)  # what the browser keeps when no cookie comes back

    next_action = client.get(f"/tickets/{ticket_id}", headers={"X-Pane": "1"}).get_data(as_text=True)
    assert "is resolved." not in next_action
