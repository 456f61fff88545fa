// Live character count for the reply box, and one submit per click; set up
// again for a ticket opened in place.
document.addEventListener("DOMContentLoaded", function () {
  // X's weights (twitter-text): a link counts 23, a character of the Latin,
  // Greek, Cyrillic and a few other scripts or of general punctuation one,
  // any other (CJK, emoji) two. The server counts with twitter-text itself.
  var LINK = /https?:\/\/\S+/g;
  function weighted(text) {
    var links = text.match(LINK) || [];
    var count = links.length * 23;
    Array.from(text.replace(LINK, "")).forEach(function (c) {
      var p = c.codePointAt(0);
      var light = p <= 4351 || (p >= 8192 && p <= 8205) || (p >= 8208 && p <= 8223) || (p >= 8242 && p <= 8247);
      count += light ? 1 : 2;
    });
    return count;
  }
  function setUp() {
    document.querySelectorAll("textarea[data-counter]:not([data-counted])").forEach(function (box) {
      var counter = document.getElementById(box.dataset.counter);
      function update() {
        var limit = box.maxLength;  // the ticket page changes it with the post answered
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
