"""The emulator's webhook receiver, spoken to over plain HTTP."""

import re

import pytest
import requests


def hook(server, name="crm"):
    return f"{server.url}/_emulator/hooks/{name}"


def deliveries(server, name="crm"):
    response = requests.get(f"{hook(server, name)}/deliveries", timeout=5)
    assert response.status_code == 200
    return response.json()["deliveries"]


def add_fault(server, name="crm", **fault):
    response = requests.post(f"{hook(server, name)}/faults", json=fault, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["faults"]


def test_it_captures_the_raw_body_and_the_headers(emulator):
    body = b'{"id": 7,  "event": "raised"}'
    response = requests.post(hook(emulator), data=body, timeout=5,
                             headers={"Content-Type": "application/json", "X-Closeloop-Delivery": "7"})

    assert response.status_code == 200
    [captured] = deliveries(emulator)
    assert captured["body"] == body.decode()
    assert captured["headers"]["X-Closeloop-Delivery"] == "7"
    assert captured["headers"]["Content-Type"] == "application/json"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", captured["at"])


def test_it_keeps_deliveries_per_hook_in_order(emulator):
    for name, body in [("crm", "1"), ("bi", "2"), ("crm", "3")]:
        requests.post(hook(emulator, name), data=body, timeout=5)

    assert [d["body"] for d in deliveries(emulator, "crm")] == ["1", "3"]
    assert [d["body"] for d in deliveries(emulator, "bi")] == ["2"]


def test_it_clears_one_hooks_deliveries(emulator):
    requests.post(hook(emulator, "crm"), data="1", timeout=5)
    requests.post(hook(emulator, "bi"), data="2", timeout=5)

    assert requests.delete(f"{hook(emulator)}/deliveries", timeout=5).json() == {"deliveries": []}
    assert deliveries(emulator, "crm") == []
    assert len(deliveries(emulator, "bi")) == 1


def test_it_fails_the_next_deliveries_of_one_hook_then_recovers(emulator):
    pending = add_fault(emulator, status=500, count=2)

    assert [(f["platform"], f["status"], f["count"]) for f in pending] == [("hooks:crm", 500, 2)]
    other = requests.post(hook(emulator, "bi"), data="other", timeout=5)
    answers = [requests.post(hook(emulator), data=f"try {n}", timeout=5).status_code for n in range(3)]

    assert other.status_code == 200
    assert answers == [500, 500, 200]
    assert [d["body"] for d in deliveries(emulator)] == ["try 2"]


def test_an_injected_rate_limit_carries_retry_after(emulator):
    add_fault(emulator, status=429, retry_after=42.5)

    response = requests.post(hook(emulator), data="{}", timeout=5)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "43")
    assert deliveries(emulator) == []


def test_the_shared_fault_controls_list_and_clear_a_hooks_faults(emulator):
    add_fault(emulator, status=503, count=3)

    listed = requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["faults"]
    assert [(f["platform"], f["count"]) for f in listed] == [("hooks:crm", 3)]
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)

    assert requests.post(hook(emulator), data="{}", timeout=5).status_code == 200


def test_faults_for_the_hooks_platform_hit_the_next_hook_called(emulator):
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "hooks", "status": 500},
                             timeout=5)
    assert response.status_code == 201

    assert requests.post(hook(emulator, "bi"), data="{}", timeout=5).status_code == 500
    assert requests.post(hook(emulator, "crm"), data="{}", timeout=5).status_code == 200


@pytest.mark.parametrize("fault, message", [
    ({"status": 200}, "status"),
    ({"status": "500"}, "status"),
    ({"status": True}, "status"),
    ({"status": 500, "count": 0}, "count"),
    ({"status": 429, "retry_after": -1}, "retry_after"),
    ({"status": "timeout", "seconds": 0}, "seconds"),
])
def test_it_refuses_a_bad_fault_and_injects_nothing(emulator, fault, message):
    response = requests.post(f"{hook(emulator)}/faults", json=fault, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["faults"] == []
