"""Messages written ahead (follow-ups, canned responses) with their
{placeholders} filled in for one ticket."""

from __future__ import annotations

import re

from store.models import Ticket

FIRST_NAME = re.compile(r"[^\W\d_][\w'-]*")
MAX_FIRST_NAME = 30


def fill_template(template: str, ticket: Ticket, agent_name: str | None, brand: str) -> str:
    """Names come from customers and are untrusted: only the first word of
    letters is used, so a name cannot mention or link anyone."""
    first_word = (agent_name or "").split()
    return template.format(first_name=first_name(ticket), topic=(ticket.topic or "issue").replace("_", " "),
                           agent_name=first_word[0] if first_word else "the team", ticket_ref=f"#{ticket.id}",
                           brand=brand).strip()


def first_name(ticket: Ticket) -> str:
    names = [ticket.customer.display_name or ""] + [i.name or "" for i in ticket.customer.identities]
    match = next((m for m in (FIRST_NAME.search(name) for name in names) if m), None)
    return match.group(0)[:MAX_FIRST_NAME] if match else "there"
