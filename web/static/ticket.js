// The open ticket: canned responses into the reply box, a live preview,
// telling the server we are here (and writing) so that others are warned,
// and keyboard shortcuts: r reply, a assign to me, e resolve, n next (each
// in place in the workspace). Set up again whenever the workspace opens or
// refreshes a ticket in place.
document.addEventListener("DOMContentLoaded", function () {
  var csrf = document.querySelector("input[name=csrf_token]");
  var lastTyped = 0;

  function setUp() {
    var box = document.getElementById("reply-body");
    var pick = document.getElementById("canned-pick");
    if (box && !box.dataset.ready) {
      var preview = document.getElementById(box.dataset.preview);
      var showPreview = function () { if (preview) { preview.textContent = box.value; } };
      box.dataset.ready = "1";
      box.addEventListener("input", function () { lastTyped = Date.now(); showPreview(); });
      showPreview();
    }
    if (pick && box && !pick.dataset.ready) {
      pick.dataset.ready = "1";
      pick.addEventListener("change", function () {
        if (!pick.value) { return; }
        var start = box.selectionStart, end = box.selectionEnd;
        box.value = box.value.slice(0, start) + pick.value + box.value.slice(end);
        box.dispatchEvent(new Event("input"));
        box.focus();
        pick.value = "";
      });
    }
  }

  function checkIn() {
    var viewers = document.getElementById("viewers");
    if (!viewers) { return; }
    var form = new FormData();
    form.append("csrf_token", csrf ? csrf.value : "");
    form.append("composing", Date.now() - lastTyped < 30000 ? "1" : "0");
    fetch(viewers.dataset.presence, {method: "POST", body: form, credentials: "same-origin",
                                     headers: {"X-Background": "1"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !viewers.isConnected) { return; }
        viewers.textContent = data.here.map(function (other) {
          return other.name + (other.composing ? " is writing a reply" : " is viewing this ticket");
        }).join("; ");
        viewers.hidden = data.here.length === 0;
      })
      .catch(function () { /* the next check-in tries again */ });
  }
  setInterval(checkIn, 10000);

  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.requestSubmit(); }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable ||
        ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0) { return; }
    var box = document.getElementById("reply-body");
    var next = document.getElementById("next-ticket");
    if (event.key === "r" && box) { box.focus(); }
    else if (event.key === "a") { submit("assign-me-form"); }
    else if (event.key === "e") { submit("resolve-form"); }
    else if (event.key === "n" && next) { next.click(); }
    else { return; }
    event.preventDefault();
  });

  setUp();
  document.addEventListener("pane:loaded", setUp);
});
