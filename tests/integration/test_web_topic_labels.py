"""Pages show topics by the labels of the taxonomy ("Billing or refund"),
not by their names; a topic no longer configured keeps its name."""

import re

from store.models import Ticket


def set_topic(world, ticket_id, topic):
    with world.db.transaction() as session:
        session.get(Ticket, ticket_id).topic = topic


def topic_cells(html):
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def option(html, value):
    """The text of the option with this value."""
    return re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', html).group(1)


def without_choices(html):
    return re.sub(r"<select.*?</select>", "", html, flags=re.S)


def test_the_inbox_shows_topic_labels_in_its_rows_and_its_filter(world, client):
    set_topic(world, world.ticket("Parcel never came", handle="pat"), "delivery")
    set_topic(world, world.ticket("Charged twice for one box", handle="bill"), "billing_or_refund")
    world.ticket("Nothing in particular", handle="wes")
    html = client.get("/inbox?view=all").get_data(as_text=True)
    assert "Billing or refund" in topic_cells(html) and "no topic" in topic_cells(html)
    assert "Delivery" in topic_cells(html) and "delivery" not in topic_cells(html)
    assert (option(html, "billing_or_refund"), option(html, "none")) == ("Billing or refund", "no topic")


def test_a_topic_no_longer_configured_shows_its_name(world, client):
    set_topic(world, world.ticket("Weather again"), "weather")
    assert "weather" in topic_cells(client.get("/inbox?view=all").get_data(as_text=True))


def test_the_ticket_page_shows_topic_labels(world, client):
    ticket_id = world.ticket("Parcel never came")
    set_topic(world, ticket_id, "delivery")
    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert re.search(r'<option value="delivery" selected>Delivery</option>', html)
    assert option(html, "outage") == "Outage or connection"
    assert "Delivery" in without_choices(html)


def test_the_mentions_stream_shows_topic_labels(world, client):
    world.ticket("Parcel never came")
    html = client.get("/mentions").get_data(as_text=True)
    assert "Delivery" in without_choices(html)
    assert option(html, "website_or_app") == "Website or app"
