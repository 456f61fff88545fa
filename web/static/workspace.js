// The workspace: the ticket list beside the open ticket. A click on a row,
// or j and k (inbox.js asks with a "ticket:open" event), opens a ticket in
// place: its pane is fetched and swapped in and the URL follows it, so
// back, forward and reload work. The open ticket refreshes itself every
// 2 seconds when something in it changed (the server answers 304 when
// nothing did): new posts, teammates' replies and notes, delivery states.
document.addEventListener("DOMContentLoaded", function () {
  var LIVE_MS = 2000;
  var LIVE_PARTS = [".ticket-head h1", ".ticket-head .facts", "#waiting-count", "ol.conversation",
                    "section[aria-labelledby=activity]"];
  var workspace = document.getElementById("workspace");
  var pane = document.getElementById("pane");
  if (!workspace || !pane) { return; }
  var emptyPane = workspace.classList.contains("has-ticket") ? null : pane.innerHTML;
  var brand = document.title.split(" · ").slice(-1)[0];

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

  function open(href, push) {
    var id = ticketOf(href);
    if (!id) { window.location = href; return; }
    var source = paneUrlOf(href);
    fetch(source, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { window.location = href; return null; }
        return response.text().then(function (html) { return {html: html, version: version(response)}; });
      })
      .then(function (got) {
        if (!got) { return; }
        pane.innerHTML = got.html;
        pane.dataset.live = source;
        pane.dataset.version = got.version;
        pane.scrollTop = 0;
        workspace.classList.add("has-ticket");
        markOpen(id);
        document.title = "Ticket " + id + " · " + brand;
        if (push) { window.history.pushState({ticket: id}, "", href); }
        loaded(false);
      })
      .catch(function () { window.location = href; });
  }

  function close() {
    if (emptyPane === null) { window.location.reload(); return; }
    pane.innerHTML = emptyPane;
    delete pane.dataset.live;
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
                   headers: {"If-None-Match": '"' + pane.dataset.version + '"'}})
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
