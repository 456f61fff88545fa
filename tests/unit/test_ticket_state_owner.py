"""Only store/ changes a ticket's state (store.tickets owns its life): an
assignment to a ticket's field (plain, augmented or by setattr), or an
UPDATE of the tickets table, anywhere in listener/, responder/, web/ or
closeloop/ fails here, naming the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy.orm import RelationshipProperty

from store.models import Base, Ticket

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("listener", "responder", "web", "closeloop")


def _state_fields() -> frozenset[str]:
    """Ticket's columns and the records it points to (not its lists)."""
    return frozenset(name for name, prop in Ticket.__mapper__.attrs.items()
                     if name != "id" and not (isinstance(prop, RelationshipProperty) and prop.uselist))


STATE = _state_fields()
# Fields other records have too: written on a ticket only if the object
# is recognisably one.
SHARED = STATE & frozenset(name for mapper in Base.registry.mappers if mapper.class_ is not Ticket
                           for name in mapper.attrs.keys())


def ticket_writes(source: str, path: str = "<source>") -> list[str]:
    """Where `source` writes a ticket's state, as "path:line: what"."""
    tree = ast.parse(source)
    tickets = _ticket_names(tree)

    def is_ticket(node: ast.expr) -> bool:
        return "ticket" in ast.unparse(node).lower() or (isinstance(node, ast.Name) and node.id in tickets)

    def written(obj: ast.expr, field: str | None) -> bool:
        if field is None:
            return is_ticket(obj)
        return field in STATE and (field not in SHARED or is_ticket(obj))

    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _flatten(target)]
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and written(target.value, target.attr):
                found.append(f"{path}:{node.lineno}: {ast.unparse(target)} = ...")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "setattr" and len(node.args) >= 2:
                name = node.args[1]
                field = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else None
                if written(node.args[0], field):
                    found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
            if node.func.id == "update" and node.args and ast.unparse(node.args[0]) == "Ticket":
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return found


def _flatten(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [t for element in target.elts for t in _flatten(element)]
    return [target]


def _ticket_names(tree: ast.AST) -> set[str]:
    """Names that hold a ticket: annotated as one, taken from a query about
    tickets (`session.get(Ticket, id)`), or looping over some."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None and _mentions_ticket(node.annotation):
            names.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _mentions_ticket(
                node.annotation):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign) and _mentions_ticket(node.value):
            names.update(t.id for target in node.targets for t in _flatten(target) if isinstance(t, ast.Name))
        elif isinstance(node, (ast.For, ast.comprehension)) and (
                _mentions_ticket(node.iter) or ast.unparse(node.iter).endswith("tickets")):
            names.update(t.id for t in _flatten(node.target) if isinstance(t, ast.Name))
    return names


def _mentions_ticket(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "Ticket" for n in ast.walk(node))


def test_nothing_outside_the_store_writes_a_tickets_state():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += ticket_writes(path.read_text(), str(path.relative_to(ROOT)))
    assert not found, "change a ticket through store.tickets instead:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "ticket.status = 'closed'",
    "reply.ticket.followup_state = None",
    "ticket.escalation_level += 1",
    "t: Ticket = load()\nt.priority = 'high'",
    "found = session.get(Ticket, 1)\nfound.priority = 'high'",
    "for t in tickets:\n    t.snoozed_until = None",
    "anything.followup_due_at = None",
    "ticket.assignee, count = agent, 1",
    "setattr(ticket, 'status', 'open')",
    "setattr(ticket, field, value)",
    "session.execute(update(Ticket).values(followup_state='sent'))",
])
def test_it_finds_a_write_to_a_tickets_state(source):
    assert len(ticket_writes(source)) == 1


@pytest.mark.parametrize("source", [
    "reply.status = 'sent'",
    "incident.status = 'fixed'",
    "source.paused_at = now",
    "mention.ticket = ticket",
    "reply = Reply(ticket=ticket)\nreply.status = 'queued'",
    "for reply in ticket.replies:\n    reply.status = 'queued'",
    "agent.team = 'care'",
    "print(ticket.status)",
    "session.execute(update(Reply).values(status='sent'))",
])
def test_it_leaves_other_records_alone(source):
    assert ticket_writes(source) == []
