// Live character count for the reply box, and one submit per click; set up
// again for a ticket opened in place.
document.addEventListener("DOMContentLoaded", function () {
  // X's weights (twitter-text): a link counts 23, an emoji two however
  // many code points make it (a family, a skin tone, a flag, a keycap), a
  // character of the Latin, Greek, Cyrillic and a few other scripts or of
  // general punctuation one, any other (CJK) two, after NFC normalisation.
  // The server counts with twitter-text itself.
  var LINK = /https?:\/\/\S+/g;
  var EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;
  var graphemes = window.Intl && Intl.Segmenter ? new Intl.Segmenter() : null;
  function pieces(text) {
    return graphemes ? Array.from(graphemes.segment(text), function (part) { return part.segment; }) : Array.from(text);
  }
  function weighted(text) {
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
  function setUp() {
    document.querySelectorAll("textarea[data-counter]:not([data-counted])").forEach(function (box) {
      var counter = document.getElementById(box.dataset.counter);
      function update() {
        var limit = Number(box.dataset.limit);  // the ticket page changes it with the post answered
        var length = box.dataset.weighted ? weighted(box.value) : box.value.length;
        counter.textContent = length + " / " + limit;
        counter.classList.toggle("near", length > limit * 0.9 && length <= limit);
        counter.classList.toggle("over", length > limit);
      }
      box.dataset.counted = "1";
      box.addEventListener("input", update);
      update();
    });
    document.querySelectorAll("form.reply-form:not([data-once])").forEach(function (form) {
      form.dataset.once = "1";
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      });
    });
  }
  setUp();
  document.addEventListener("pane:loaded", setUp);
});
