from datetime import datetime, timezone

from listener.routing import Candidate, choose_agent

def agent(id, *, senior=False, online=True, load=0, capacity=5, last=None, platforms=()):
    return Candidate(id=id, role="senior" if senior else "agent", online=online, open_tickets=load, capacity=capacity,
                     last_assigned_at=last, platforms=platforms)


def at(hour):
    return datetime(2026, 1, 5, hour, tzinfo=timezone.utc)


def test_it_prefers_the_customers_previous_agent():
    choice = choose_agent("x", [agent(1), agent(2, load=3)], previous_agent_id=2,
                          senior_reason=None)
    assert (choice.agent_id, choice.reason) == (2, "previous agent")


def test_it_skips_a_previous_agent_who_is_offline():
    choice = choose_agent("x", [agent(1, load=1), agent(2, online=False)], previous_agent_id=2,
                          senior_reason=None)
    assert (choice.agent_id, choice.reason) == (1, "least loaded")


def test_it_skips_a_previous_agent_at_capacity():
    choice = choose_agent("x", [agent(1, load=4), agent(2, load=5, capacity=5)], previous_agent_id=2,
                          senior_reason=None)
    assert choice.agent_id == 1


def test_an_urgent_ticket_goes_to_a_senior_even_if_busier():
    choice = choose_agent("x", [agent(1), agent(2, senior=True, load=3)], previous_agent_id=None,
                          senior_reason="urgent")
    assert (choice.agent_id, choice.reason) == (2, "senior: urgent")


def test_an_urgent_ticket_goes_to_a_senior_rather_than_a_junior_previous_agent():
    choice = choose_agent("x", [agent(1), agent(2, senior=True)], previous_agent_id=1,
                          senior_reason="urgent")
    assert choice.agent_id == 2


def test_an_urgent_ticket_falls_back_to_anyone_when_no_senior_is_online():
    choice = choose_agent("x", [agent(1, load=2), agent(2, senior=True, online=False), agent(3, load=1)],
                          previous_agent_id=None, senior_reason="urgent")
    assert (choice.agent_id, choice.reason) == (3, "least loaded (no senior online)")


def test_ties_go_to_the_agent_idle_longest():
    choice = choose_agent("x", [agent(1, last=at(10)), agent(2, last=at(8)), agent(3, last=at(9))],
                          previous_agent_id=None, senior_reason=None)
    assert choice.agent_id == 2


def test_agents_limited_to_other_platforms_are_not_chosen():
    choice = choose_agent("x", [agent(1, platforms=("facebook",)), agent(2, load=4)],
                          previous_agent_id=None, senior_reason=None)
    assert choice.agent_id == 2


def test_nobody_is_chosen_when_nobody_can_take_it():
    choice = choose_agent("x", [agent(1, online=False), agent(2, load=5, capacity=5)],
                          previous_agent_id=None, senior_reason=None)
    assert choice.agent_id is None
    assert "team queue" in choice.reason


def test_an_ordinary_ticket_leaves_a_less_loaded_senior_free():
    choice = choose_agent("x", [agent(1, senior=True), agent(2, load=3)], previous_agent_id=None,
                          senior_reason=None)
    assert (choice.agent_id, choice.reason) == (2, "least loaded")


def test_an_ordinary_ticket_goes_to_a_senior_when_nobody_else_has_room():
    choice = choose_agent("x", [agent(1, senior=True, load=4), agent(2, load=5, capacity=5)],
                          previous_agent_id=None, senior_reason=None)
    assert (choice.agent_id, choice.reason) == (1, "least loaded")


def test_an_urgent_ticket_says_when_the_seniors_online_are_full():
    choice = choose_agent("x", [agent(1, senior=True, load=5, capacity=5), agent(2, load=1)],
                          previous_agent_id=None, senior_reason="urgent")
    assert (choice.agent_id, choice.reason) == (2, "least loaded (no senior free)")


def test_an_urgent_ticket_stays_with_a_junior_previous_agent_when_no_senior_is_free():
    choice = choose_agent("x", [agent(1, senior=True, load=5, capacity=5), agent(2, load=3)],
                          previous_agent_id=2, senior_reason="urgent")
    assert (choice.agent_id, choice.reason) == (2, "previous agent (no senior free)")


def test_a_harm_goes_to_the_least_loaded_online_senior_past_capacity():
    seniors = [agent(1, senior=True, load=7, capacity=5), agent(2, senior=True, load=6, capacity=5),
               agent(3, senior=True, online=False), agent(4, senior=True, load=0, platforms=("facebook",))]
    choice = choose_agent("x", [*seniors, agent(5, load=1)], previous_agent_id=5, senior_reason="harm (fire)",
                          past_capacity=True)
    assert (choice.agent_id, choice.reason) == (2, "senior past capacity: harm (fire)")


def test_a_harm_takes_a_senior_with_room_first_and_anyone_when_no_senior_is_online():
    with_room = choose_agent("x", [agent(1, senior=True, load=5, capacity=5), agent(2, senior=True, load=4)],
                             previous_agent_id=None, senior_reason="harm (fire)", past_capacity=True)
    nobody_senior = choose_agent("x", [agent(1, senior=True, online=False), agent(2, load=1)],
                                 previous_agent_id=None, senior_reason="harm (fire)", past_capacity=True)
    assert (with_room.agent_id, with_room.reason) == (2, "senior: harm (fire)")
    assert (nobody_senior.agent_id, nobody_senior.reason) == (2, "least loaded (no senior online)")
