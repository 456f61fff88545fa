"""One customer across platforms: linked by hand, or by the same email or CRM id."""

from sqlalchemy import func, select

from store.models import Customer, Event, Identity, Ticket


def customer_of(world, ticket_id):
    with world.db.transaction() as session:
        return session.get(Ticket, ticket_id).customer_id


def test_linking_moves_identities_and_tickets_to_one_customer(world, client, ada):
    on_x = world.ticket(platform="x", handle="maria")
    on_fb = world.ticket(platform="facebook", handle="maria_f")
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    response = client.post(f"/api/v1/customers/{customer_of(world, on_x)}/link",
                           json={"customer": customer_of(world, on_fb)}, headers=headers)
    assert response.status_code == 200
    assert sorted(i["platform"] for i in response.get_json()["identities"]) == ["facebook", "x"]
    assert customer_of(world, on_x) == customer_of(world, on_fb)
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        assert session.scalar(select(Event.detail).where(Event.kind == "customer_linked"))["why"] == \
            "linked by Ada Lovelace"


def test_the_same_email_links_two_customers_and_keeps_the_older(world, client, ada):
    older = world.ticket(platform="x", handle="tom")
    newer = world.ticket(platform="reddit", handle="tom_r")
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    client.patch(f"/api/v1/customers/{customer_of(world, older)}", json={"email": "Tom@Example.com"}, headers=headers)
    response = client.patch(f"/api/v1/customers/{customer_of(world, newer)}", json={"email": "tom@example.com",
                                                                                    "tier": "vip"}, headers=headers)
    body = response.get_json()
    assert body["id"] == customer_of(world, older) == customer_of(world, newer)
    assert (body["email"], body["tier"]) == ("tom@example.com", "vip")


def test_a_bad_tier_or_email_is_refused_and_changes_nothing(world, client, ada):
    ticket_id = world.ticket()
    headers = {"Authorization": f"Bearer {world.token(client)}"}
    customer_id = customer_of(world, ticket_id)
    assert client.patch(f"/api/v1/customers/{customer_id}", json={"tier": "gold"}, headers=headers).status_code == 400
    assert client.patch(f"/api/v1/customers/{customer_id}", json={"email": "nope"}, headers=headers).status_code == 400
    with world.db.transaction() as session:
        assert (session.get(Customer, customer_id).tier, session.get(Customer, customer_id).email) == ("standard", None)


def test_linking_in_the_web_form(world, client, ada):
    on_x = world.ticket(platform="x", handle="lena")
    on_fb = world.ticket(platform="facebook", handle="lena_f")
    client.post(f"/tickets/{on_x}/customer", data={"tier": "standard", "email": "", "crm_id": "CRM-7",
                                                  "link": str(customer_of(world, on_fb))})
    assert customer_of(world, on_x) == customer_of(world, on_fb)
    with world.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Identity)) == 2
