// The workspace: the ticket list beside the open ticket. A click on a row,
// or j and k (inbox.js asks with a "ticket:open" event), opens a ticket in
// place: its pane is fetched and swapped in and the URL follows it, so
// back, forward and reload work. The open ticket refreshes itself every
// 2 seconds when something in it changed (the server answers 304 when
// nothing did): new posts, teammates' replies and notes, delivery states.
// The pane's forms (reply, resolve, notes...) are sent with fetch: the
// server answers with the ticket's pane and the action's messages, which
// are swapped in, and the list refreshes. A reply typed but not sent stays
// in the box when another action is done or refused. Ctrl+Enter sends the
// form being written in. A refusal is brought into sight wherever the
// agent was in the pane; on a phone, where the list comes first, a ticket
// opened is scrolled to.
document.addEventListener("DOMContentLoaded", function () {
  var LIVE_MS = 2000;
  var LIVE_PARTS = [".ticket-head h1", ".ticket-head .facts", "#waiting-count", "ol.conversation",
                    "section[aria-labelledby=activity]"];
  var workspace = document.getElementById("workspace");
  var pane = document.getElementById("pane");
  if (!workspace || !pane) { return; }
  var emptyPane = workspace.classList.contains("has-ticket") ? null : pane.innerHTML;
  var brand = document.title.split(" · ").slice(-1)[0];
  var stacked = window.matchMedia("(max-width: 800px)");

  function ticketOf(href) {
    var match = /^\/tickets\/(\d+)$/.exec(new URL(href, window.location.href).pathname);
    return match ? match[1] : null;
  }

  function paneUrlOf(href) {
    var url = new URL(href, window.location.href);
    return url.pathname + "/pane" + url.search;
  }

  function version(response) {
    return (response.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
  }

  function markOpen(id) {
    document.querySelectorAll("#inbox-rows tr[data-ticket]").forEach(function (row) {
      row.classList.toggle("open", row.dataset.ticket === id);
    });
  }

  function loaded(refresh) {
    document.dispatchEvent(new CustomEvent("pane:loaded", {detail: {refresh: refresh}}));
  }

  function show(html, href, paneVersion, push, kept) {
    var id = ticketOf(href);
    var same = pane.dataset.ticket === id;
    pane.innerHTML = html;
    pane.dataset.ticket = id;
    pane.dataset.live = paneUrlOf(href);
    pane.dataset.version = paneVersion;
    if (!same) {
      pane.scrollTop = 0;
      // The page's own notices ("Done for 2 tickets.") were about what came before.
      document.querySelectorAll("main > .notice").forEach(function (notice) { notice.remove(); });
    }
    if (kept) { keep(kept); }
    workspace.classList.add("has-ticket");
    var refusal = pane.querySelector(":scope > .notice.error");
    if (refusal) { refusal.scrollIntoView({block: "nearest"}); }
    else if (!same && stacked.matches) { pane.scrollIntoView({block: "start"}); }
    markOpen(id);
    document.title = "Ticket " + id + " · " + brand;
    if (push) { window.history.pushState({ticket: id}, "", href); }
    else { window.history.replaceState({ticket: id}, "", href); }
    loaded(false);
  }

  function open(href, push) {
    if (!ticketOf(href)) { window.location = href; return; }
    fetch(paneUrlOf(href), {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { window.location = href; return; }
        return response.text().then(function (html) { show(html, href, version(response), push); });
      })
      .catch(function () { window.location = href; });
  }

  function draft() {
    var box = document.getElementById("reply-body"), target = document.getElementById("in-reply-to");
    return box && box.value ? {body: box.value, target: target ? target.value : ""} : null;
  }

  function keep(kept) {
    var box = document.getElementById("reply-body"), target = document.getElementById("in-reply-to");
    if (!box || box.value) { return; }
    box.value = kept.body;
    if (target && pane.querySelector("li.message.post[data-post='" + kept.target + "']")) { target.value = kept.target; }
  }

  function say(message) {
    pane.querySelectorAll(":scope > .notice").forEach(function (notice) { notice.remove(); });
    var notice = document.createElement("p");
    notice.className = "notice error";
    notice.setAttribute("role", "alert");
    notice.textContent = message;
    pane.prepend(notice);
    notice.scrollIntoView({block: "nearest"});
  }

  // An action's answer: the pane it leads back to, or another page (the
  // inbox when nothing else waits, the sign-in page) to go to.
  function follow(request, push, kept) {
    return fetch(request.url, {method: request.method, body: request.body, credentials: "same-origin",
                               cache: "no-store", headers: {"X-Pane": "1"}})
      .then(function (response) {
        if (response.ok && !ticketOf(response.url)) { window.location = response.url; return; }
        return response.text().then(function (html) {
          if (response.ok) { show(html, response.url, version(response), push, kept); return; }
          var page = new DOMParser().parseFromString(html, "text/html").querySelector("main");
          say((page ? page.textContent : response.statusText).replace(/\s+/g, " ").trim());
        });
      })
      .catch(function () { say("Not sent: the server could not be reached. Try again."); });
  }

  pane.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method.toLowerCase() !== "post") { return; }
    event.preventDefault();
    var body = new FormData(form);
    if (event.submitter && event.submitter.name) { body.append(event.submitter.name, event.submitter.value); }
    var kept = form.id === "reply-form" ? null : draft();
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    follow({url: form.action, method: "POST", body: body}, false, kept).then(function () {
      if (form.isConnected) {
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
      }
      document.dispatchEvent(new CustomEvent("list:changed"));
    });
  });

  pane.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || link.target || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.button !== 0) { return; }
    if (link.id === "next-ticket") { event.preventDefault(); follow({url: link.href, method: "GET"}, true); }
    else if (ticketOf(link.href) && !new URL(link.href).hash) { event.preventDefault(); open(link.href, true); }
  });

  pane.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || !event.target.form) { return; }
    event.preventDefault();
    event.target.form.requestSubmit();
  });

  function close() {
    if (emptyPane === null) { window.location.reload(); return; }
    pane.innerHTML = emptyPane;
    delete pane.dataset.live;
    delete pane.dataset.ticket;
    workspace.classList.remove("has-ticket");
    markOpen(null);
    document.title = "Inbox · " + brand;
  }

  document.addEventListener("ticket:open", function (event) { open(event.detail.href, true); });

  document.getElementById("inbox-rows").addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-ticket]");
    var control = event.target.closest("input, button, select, label");
    if (!row || control || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    document.dispatchEvent(new CustomEvent("ticket:select", {detail: {id: row.dataset.ticket}}));
    open(row.dataset.href, true);
  });

  if (pane.dataset.ticket && stacked.matches) { pane.scrollIntoView({block: "start"}); }
  window.history.replaceState({ticket: ticketOf(window.location.href)}, "", window.location.href);
  window.addEventListener("popstate", function () {
    if (ticketOf(window.location.href)) { open(window.location.href, false); } else { close(); }
  });

  function refresh(html) {
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    LIVE_PARTS.forEach(function (selector) {
      var now = pane.querySelector(selector), next = fresh.querySelector(selector);
      if (now && next) { now.replaceWith(next); }
    });
    loaded(true);
  }

  function poll() {
    if (document.hidden || !pane.dataset.live) { return; }
    var source = pane.dataset.live;
    fetch(source, {credentials: "same-origin", cache: "no-store",
                   headers: {"If-None-Match": '"' + pane.dataset.version + '"', "X-Background": "1"}})
      .then(function (response) {
        if (response.status !== 200 || pane.dataset.live !== source) { return; }
        var next = version(response);
        return response.text().then(function (html) {
          if (pane.dataset.live !== source) { return; }
          pane.dataset.version = next;
          refresh(html);
        });
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  setInterval(poll, LIVE_MS);
});
