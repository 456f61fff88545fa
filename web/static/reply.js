// Live character count for the reply box, and one submit per click.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-counter]").forEach(function (box) {
    var counter = document.getElementById(box.dataset.counter);
    function update() {
      var limit = box.maxLength;  // the ticket page changes it with the post answered
      counter.textContent = box.value.length + " / " + limit;
      counter.classList.toggle("near", box.value.length > limit * 0.9);
    }
    box.addEventListener("input", update);
    update();
  });
  document.querySelectorAll("form.reply-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
});
