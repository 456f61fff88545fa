// Live character count for the reply, update, note and canned boxes, and one
// submit per click; set up again for a ticket opened in place. A box takes
// a paste of any length: the counter says how far over the limit it is and
// sending is refused here, the text kept, until it fits.
document.addEventListener("DOMContentLoaded", function () {
  // X's weights (twitter-text): a link counts 23, an emoji two however
  // many code points make it (a family, a skin tone, a flag, a keycap), a
  // character of the Latin, Greek, Cyrillic and a few other scripts or of
  // general punctuation one, any other (CJK) two, after NFC normalisation.
  // What is a link (a bare "example.co.uk/refund" is one, "file.txt" is
  // not) needs twitter-text's list of every top-level domain, so the box
  // shows this count while the agent types and, once typing pauses, the
  // count the server makes with twitter-text itself (data-length-url).
  var LINK = /https?:\/\/\S+/g;
  var EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
  var PAUSE_MS = 250;
  var graphemes = window.Intl && Intl.Segmenter ? new Intl.Segmenter() : null;
  var csrf = document.querySelector("input[name=csrf_token]");
  function pieces(text) {
    return graphemes ? Array.from(graphemes.segment(text), function (part) { return part.segment; }) : Array.from(text);
  }
  function estimated(text) {
    var normal = text.normalize("NFC");
    var links = normal.match(LINK) || [];
    var count = links.length * 23;
    pieces(normal.replace(LINK, "")).forEach(function (piece) {
      if (EMOJI.test(piece)) { count += 2; return; }
      Array.from(piece).forEach(function (c) {
        var p = c.codePointAt(0);
        var light = p <= 4351 || (p >= 8192 && p <= 8205) || (p >= 8208 && p <= 8223) || (p >= 8242 && p <= 8247);
        count += light ? 1 : 2;
      });
    });
    return count;
  }
  function countsOnServer(box) {
    return Boolean(box.dataset.weighted && box.dataset.lengthUrl);
  }
  function exact(box) {
    var known = box.exactLength;
    return Boolean(known) && known.text === box.value && known.platform === box.dataset.platform;
  }
  // A box the platform does not weigh counts as the server does: by
  // characters (an emoji is one, not two UTF-16 halves), a line break as
  // the CR LF the form sends.
  function counted(text) {
    return Array.from(text.replace(/\r?\n/g, "\r\n")).length;
  }
  function length(box) {
    if (!box.dataset.weighted) { return counted(box.value); }
    return exact(box) ? box.exactLength.length : estimated(box.value);
  }
  // Ask the server for the count of the text in the box; `done` runs once
  // it answered, or could not (the estimate then stands).
  function askServer(box, done) {
    var text = box.value, platform = box.dataset.platform;
    var form = new FormData();
    form.append("csrf_token", csrf ? csrf.value : "");
    form.append("platform", platform);
    form.append("text", text);
    fetch(box.dataset.lengthUrl, {method: "POST", body: form, credentials: "same-origin", headers: {"X-Background": "1"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer) { box.exactLength = {text: text, platform: platform, length: answer.length}; }
      })
      .catch(function () { /* the estimate stands; the server counts again on send */ })
      .then(done);
  }
  function refuse(box, excess) {
    var id = box.dataset.counter + "-refusal";
    var line = document.getElementById(id);
    if (!line) {
      line = document.createElement("p");
      line.id = id;
      line.className = "error-text refusal";
      line.setAttribute("role", "alert");
      document.getElementById(box.dataset.counter).after(line);
    }
    line.textContent = "Not sent: " + excess + " character" + (excess === 1 ? "" : "s") + " too many; " +
      box.dataset.allows + ". Shorten it, then send.";
  }
  function setUp() {
    document.querySelectorAll("textarea[data-counter]:not([data-counted])").forEach(function (box) {
      var counter = document.getElementById(box.dataset.counter);
      var pause = null;
      function update() {
        var limit = Number(box.dataset.limit);  // the ticket page changes it with the post answered
        var count = length(box);
        counter.textContent = count + " / " + limit + (count > limit ? " (" + (count - limit) + " over)" : "");
        counter.classList.toggle("near", count > limit * 0.9 && count <= limit);
        counter.classList.toggle("over", count > limit);
        var line = document.getElementById(box.dataset.counter + "-refusal");
        if (line && count <= limit) { line.remove(); } else if (line) { refuse(box, count - limit); }
      }
      box.updateCount = update;
      box.dataset.counted = "1";
      box.addEventListener("input", function () {
        update();
        clearTimeout(pause);
        if (countsOnServer(box) && box.value) {
          pause = setTimeout(function () { askServer(box, update); }, PAUSE_MS);
        }
      });
      update();
      if (countsOnServer(box) && box.value) { askServer(box, update); }
    });
    document.querySelectorAll("form:not([data-once])").forEach(function (form) {
      var box = form.querySelector("textarea[data-counter]");
      if (!box && !form.classList.contains("reply-form")) { return; }
      form.dataset.once = "1";
      form.addEventListener("submit", function (event) {
        if (box && countsOnServer(box) && !exact(box) && box.askedForSend !== box.value) {
          // Sent before the server's count came: ask it now, then send again.
          event.preventDefault();
          var submitter = event.submitter;
          askServer(box, function () {
            box.askedForSend = box.value;
            box.updateCount();
            if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
          });
          return;
        }
        var excess = box ? length(box) - Number(box.dataset.limit) : 0;
        if (excess > 0) {
          event.preventDefault();
          refuse(box, excess);
          box.focus();
          return;
        }
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      });
    });
  }
  setUp();
  document.addEventListener("pane:loaded", setUp);
});
