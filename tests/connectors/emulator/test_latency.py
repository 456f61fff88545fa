"""The emulator's platform latency: platform API calls wait a random time
in the range set, control calls do not, and a bad range is refused."""

import pytest
import requests


def set_latency(emulator, body):
    return requests.put(f"{emulator.url}/_emulator/latency", json=body, timeout=5)


def test_platform_calls_wait_within_the_range_set_and_control_calls_do_not(emulator, sleeps):
    assert set_latency(emulator, {"min_seconds": 0.01, "max_seconds": 0.02}).json() == {
        "min_seconds": 0.01, "max_seconds": 0.02}
    requests.get(f"{emulator.url}/_emulator/x/requests", timeout=5)
    assert sleeps == []

    requests.get(f"{emulator.url}/2/users/me", headers={"Authorization": "Bearer t"}, timeout=5)
    requests.get(f"{emulator.url}/2/users/me", headers={"Authorization": "Bearer t"}, timeout=5)

    assert len(sleeps) == 2 and all(0.01 <= seconds <= 0.02 for seconds in sleeps)


def test_no_latency_is_the_default(emulator, sleeps):
    assert requests.get(f"{emulator.url}/_emulator/latency", timeout=5).json()["max_seconds"] == 0
    requests.get(f"{emulator.url}/2/users/me", headers={"Authorization": "Bearer t"}, timeout=5)
    assert sleeps == []


@pytest.mark.parametrize("body", [{"min_seconds": 0.3, "max_seconds": 0.1}, {"max_seconds": "fast"},
                                  {"min_seconds": -1, "max_seconds": 1}, {"max_seconds": 11}, {}])
def test_a_bad_range_is_refused_and_changes_nothing(emulator, body):
    set_latency(emulator, {"min_seconds": 0.1, "max_seconds": 0.2})
    refused = set_latency(emulator, body)
    assert refused.status_code == 400 and "min_seconds" in refused.json()["error"]
    assert requests.get(f"{emulator.url}/_emulator/latency", timeout=5).json() == {
        "min_seconds": 0.1, "max_seconds": 0.2}
