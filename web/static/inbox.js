// The inbox: rows refresh every 10 seconds (new tickets are marked and
// counted in the page title), and keyboard shortcuts move, open and select.
document.addEventListener("DOMContentLoaded", function () {
  var table = document.querySelector("table[data-live]");
  var body = document.getElementById("inbox-rows");
  var count = document.getElementById("ticket-count");
  var empty = document.querySelector("p.empty");
  var help = document.getElementById("shortcuts");
  var baseTitle = document.title;
  var known = new Set(rowIds());
  var current = -1;

  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr[data-ticket]")); }
  function rowIds() { return rows().map(function (r) { return r.dataset.ticket; }); }

  function checkedIds() {
    return new Set(Array.prototype.slice.call(body.querySelectorAll("input[name=tickets]:checked"))
      .map(function (box) { return box.value; }));
  }

  function showTitle(total, fresh) {
    document.title = (fresh > 0 ? "(" + fresh + " new) " : "(" + total + ") ") + baseTitle;
  }

  function refresh() {
    if (document.hidden) { return; }
    fetch(table.dataset.live, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var checked = checkedIds();
        var focused = current >= 0 && rows()[current] ? rows()[current].dataset.ticket : null;
        body.innerHTML = data.html;
        var fresh = 0;
        rows().forEach(function (row) {
          if (!known.has(row.dataset.ticket)) { row.classList.add("fresh"); fresh += 1; }
          var box = row.querySelector("input[name=tickets]");
          if (box && checked.has(box.value)) { box.checked = true; }
        });
        data.ids.forEach(function (id) { known.add(String(id)); });
        count.textContent = data.total;
        table.hidden = data.total === 0;
        if (empty) { empty.hidden = data.total !== 0; }
        current = focused ? rowIds().indexOf(focused) : -1;
        mark();
        showTitle(data.total, fresh);
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ });
  }

  function mark() {
    rows().forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var row = rows()[current];
    if (row) { row.scrollIntoView({block: "nearest"}); }
  }

  function typing(target) {
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var all = rows();
    if (event.key === "j" && all.length) { current = Math.min(current + 1, all.length - 1); mark(); }
    else if (event.key === "k" && all.length) { current = Math.max(current - 1, 0); mark(); }
    else if ((event.key === "Enter" || event.key === "o") && all[current]) { window.location = all[current].dataset.href; }
    else if (event.key === "x" && all[current]) {
      var box = all[current].querySelector("input[name=tickets]");
      box.checked = !box.checked;
    }
    else if (event.key === "/") { event.preventDefault(); document.querySelector("input[name=q]").focus(); }
    else if (event.key === "?") { help.hidden = !help.hidden; }
    else { return; }
    event.preventDefault();
  });

  showTitle(rows().length ? Number(count.textContent) : 0, 0);
  if (table) { setInterval(refresh, 10000); }
});
