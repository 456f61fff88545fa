// The ticket list: rows refresh every 10 seconds when something changed
// (the server answers 304 when nothing did; new tickets are marked and
// counted in the page title) and at once after an action on the open ticket
// (a resolved ticket leaves the list; j then opens the one after it), and
// keyboard shortcuts: j/k open the next or previous ticket in place
// (workspace.js), Enter writes the reply, o opens the ticket on its own
// page, x selects, / searches, ? shows the keys.
document.addEventListener("DOMContentLoaded", function () {
  var table = document.querySelector("table[data-live]");
  var body = document.getElementById("inbox-rows");
  if (!table || !body) { return; }
  var count = document.getElementById("ticket-count");
  var empty = document.querySelector("p.empty");
  var help = document.getElementById("shortcuts");
  var bulk = document.getElementById("bulk-bar");
  var known = new Set(rowIds());
  var version = "";
  var current = rows().findIndex(function (row) { return row.classList.contains("open"); });

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-ticket]")); }
  function rowIds() { return rows().map(function (r) { return r.dataset.ticket; }); }

  function checkedIds() {
    return new Set(Array.prototype.slice.call(body.querySelectorAll("input[name=tickets]:checked"))
      .map(function (box) { return box.value; }));
  }

  function showTitle(total, fresh) {
    var base = document.title.replace(/^\([\d,+]+( new)?\) /, "");
    document.title = (fresh > 0 ? "(" + fresh + " new) " : "(" + total + ") ") + base;
  }

  function refresh() {
    if (document.hidden) { return; }
    var headers = {"Accept": "application/json", "X-Background": "1"};
    if (version) { headers["If-None-Match"] = version; }
    fetch(table.dataset.live, {headers: headers, credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status !== 200) { return null; }
        version = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (data) {
        if (!data) { return; }
        var checked = checkedIds();
        var focused = current >= 0 && rows()[current] ? rows()[current].dataset.ticket : null;
        var place = current;
        var open = body.querySelector("tr.open");
        body.innerHTML = data.html;
        var fresh = 0;
        rows().forEach(function (row) {
          if (!known.has(row.dataset.ticket)) { row.classList.add("fresh"); fresh += 1; }
          if (open && row.dataset.ticket === open.dataset.ticket) { row.classList.add("open"); }
          var box = row.querySelector("input[name=tickets]");
          if (box && checked.has(box.value)) { box.checked = true; }
        });
        data.ids.forEach(function (id) { known.add(String(id)); });
        count.textContent = data.total_text;
        table.hidden = data.total === 0;
        if (empty) { empty.hidden = data.total !== 0; }
        current = focused ? rowIds().indexOf(focused) : -1;
        if (focused && current < 0) { current = Math.min(place, rows().length) - 1; }
        mark();
        showTitle(data.total_text, fresh);
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ });
  }

  function mark() {
    rows().forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var row = rows()[current];
    if (row) { row.scrollIntoView({block: "nearest"}); }
  }

  function openCurrent() {
    var row = rows()[current];
    if (row) { document.dispatchEvent(new CustomEvent("ticket:open", {detail: {href: row.dataset.href}})); }
  }

  function typing(target) {
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0;
  }

  document.addEventListener("list:changed", refresh);

  document.addEventListener("ticket:select", function (event) {
    current = rowIds().indexOf(event.detail.id);
    mark();
  });

  // A ticket opened another way (n, a link in the pane, back) moves the
  // keyboard's place to its row, so that j and k go on from it.
  document.addEventListener("pane:loaded", function (event) {
    var open = rows().indexOf(body.querySelector("tr.open"));
    if (event.detail.refresh || open < 0 || open === current) { return; }
    current = open;
    mark();
  });

  document.getElementById("shortcuts-close").addEventListener("click", function () { help.hidden = true; });

  body.addEventListener("change", function (event) {
    if (event.target.name === "tickets" && event.target.checked && bulk) { bulk.open = true; }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (event.key === "Enter" && event.target.closest("a, button, summary")) { return; }
    var all = rows();
    var reply = document.getElementById("reply-body");
    if (event.key === "j" && all.length) { current = Math.min(current + 1, all.length - 1); mark(); openCurrent(); }
    else if (event.key === "k" && all.length) { current = Math.max(current - 1, 0); mark(); openCurrent(); }
    else if (event.key === "Enter" && reply) { reply.focus(); }
    else if ((event.key === "Enter" || event.key === "o") && all[current]) { window.location = all[current].dataset.href; }
    else if (event.key === "x" && all[current]) {
      var box = all[current].querySelector("input[name=tickets]");
      box.checked = !box.checked;
      if (box.checked && bulk) { bulk.open = true; }
    }
    else if (event.key === "/") {
      event.preventDefault();
      document.querySelector("details.filter-bar").open = true;
      document.querySelector("input[name=q]").focus();
    }
    else if (event.key === "?") { help.hidden = !help.hidden; }
    else if (event.key === "Escape" && !help.hidden) { help.hidden = true; }
    else { return; }
    event.preventDefault();
  });

  showTitle(rows().length ? Number(count.textContent) : 0, 0);
  setInterval(refresh, 10000);
});
