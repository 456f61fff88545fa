// The mentions stream's keys: j/k move the focus, t takes the focused post
// into a ticket, Enter or o opens its ticket, / searches.
document.addEventListener("DOMContentLoaded", function () {
  var stream = document.getElementById("stream");
  var current = -1;

  function posts() { return Array.prototype.slice.call(stream.querySelectorAll("li[data-mention]")); }

  function mark() {
    posts().forEach(function (post, i) {
      post.classList.toggle("current", i === current);
      if (i === current) { post.setAttribute("aria-current", "true"); } else { post.removeAttribute("aria-current"); }
    });
    var post = posts()[current];
    if (post) { post.scrollIntoView({block: "nearest"}); }
  }

  function typing(target) {
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var all = posts();
    var post = all[current];
    if (event.key === "j" && all.length) { current = Math.min(current + 1, all.length - 1); mark(); }
    else if (event.key === "k" && all.length) { current = Math.max(current - 1, 0); mark(); }
    else if (event.key === "t" && post && post.querySelector("button.take")) { post.querySelector("button.take").click(); }
    else if ((event.key === "Enter" || event.key === "o") && post && post.dataset.href) { window.location = post.dataset.href; }
    else if (event.key === "/") { document.querySelector("input[name=q]").focus(); }
    else { return; }
    event.preventDefault();
  });
});
