"""Every administration page links to all the others the same way, and
marks the one shown."""

import re

import pytest

PAGES = {"/admin/users": "Users", "/admin/alerts": "Alerts", "/admin/sources": "Sources",
         "/admin/quarantine": "Quarantine", "/admin/settings": "Settings", "/admin/moderation": "Moderation",
         "/admin/audit": "Audit log"}


@pytest.mark.parametrize("path", PAGES)
def test_an_admin_page_links_every_admin_page_and_marks_itself(admin_client, path):
    page = admin_client.get(path)
    assert page.status_code == 200, path

    links = re.findall(r'<a href="(/admin/[a-z]+)"( aria-current="page")?>([^<]+)</a>', page.get_data(as_text=True))
    assert {href: label for href, _current, label in links} == PAGES
    assert [href for href, current, _label in links if current] == [path]
