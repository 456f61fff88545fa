// Live character count for the reply box, and one submit per click; set up
// again for a ticket opened in place.
document.addEventListener("DOMContentLoaded", function () {
  function setUp() {
    document.querySelectorAll("textarea[data-counter]:not([data-counted])").forEach(function (box) {
      var counter = document.getElementById(box.dataset.counter);
      function update() {
        var limit = box.maxLength;  // the ticket page changes it with the post answered
        counter.textContent = box.value.length + " / " + limit;
        counter.classList.toggle("near", box.value.length > limit * 0.9);
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
