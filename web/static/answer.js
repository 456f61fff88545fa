// The open ticket: which post the reply answers. A click on a post (or its
// "Answer this post" link) points the reply box at it, and [ and ] move
// to the previous or next post. The box says which post it answers, its
// length limit follows that post's channel, and a post answered already
// asks for an explicit "answer it again". When the workspace refreshes the
// conversation, the post being answered stays chosen.
document.addEventListener("DOMContentLoaded", function () {
  function text(id, value) {
    var element = document.getElementById(id);
    if (element) { element.textContent = value; }
  }

  function posts() {
    return Array.prototype.slice.call(document.querySelectorAll("li.message.post[data-post]"));
  }

  function mark(post) {
    var field = document.getElementById("in-reply-to");
    var box = document.getElementById("reply-body");
    var again = document.getElementById("answer-again");
    var againBox = again ? again.querySelector("input") : null;
    var changed = field.value !== post.dataset.post;
    field.value = post.dataset.post;
    posts().forEach(function (other) {
      var chosen = other === post;
      other.classList.toggle("target", chosen);
      var link = other.querySelector("a.answer-this");
      if (link) { link.textContent = chosen ? "Answering this post" : "Answer this post"; }
    });
    text("answering-text", post.dataset.summary);
    text("answering-time", post.dataset.time);
    var answered = post.dataset.answered;
    if (again) {
      again.hidden = !answered;
      againBox.required = Boolean(answered);
      if (changed) { againBox.checked = false; }
      text("answer-again-text", answered);
    }
    var label = document.querySelector("label[for=reply-body]");
    if (box && label) {
      // The box takes any length (a pasted text is never cut); the counter
      // says how far over this post's channel allows it is.
      box.dataset.limit = post.dataset.limit;
      box.dataset.allows = post.dataset.allows;
      box.dataset.weighted = post.dataset.weighted;
      label.textContent = "Your reply on " + box.form.dataset.platform + (post.dataset.direct ? " by direct message" : "") +
        " (up to " + post.dataset.limit + " characters; r to focus)";
      box.dispatchEvent(new Event("input"));
    }
  }

  function choose(post) {
    mark(post);
    var url = new URL(window.location.href);
    url.searchParams.set("answer", post.dataset.post);
    url.hash = "";
    window.history.replaceState(window.history.state, "", url);
  }

  function current() {
    var field = document.getElementById("in-reply-to");
    return posts().findIndex(function (post) { return field && post.dataset.post === field.value; });
  }

  function setUp() {
    var field = document.getElementById("in-reply-to");
    if (!field) { return; }
    var box = document.getElementById("reply-body");
    var all = posts();
    all.forEach(function (post) {
      post.addEventListener("click", function (event) {
        var link = event.target.closest("a, button, input, select, textarea, summary");
        if (link && !link.classList.contains("answer-this")) { return; }
        if (link) { event.preventDefault(); }
        else if (window.getSelection().toString()) { return; }
        choose(post);
        if (link && box) { box.focus(); }
      });
    });
    var chosen = all[current()];
    if (chosen) { mark(chosen); }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable ||
        ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0) { return; }
    if (event.key !== "[" && event.key !== "]") { return; }
    var all = posts();
    if (!document.getElementById("in-reply-to") || all.length === 0) { return; }
    var index = current() + (event.key === "]" ? 1 : -1);
    if (index < 0 || index >= all.length) { return; }
    event.preventDefault();
    choose(all[index]);
    all[index].scrollIntoView({block: "nearest"});
  });

  setUp();
  document.addEventListener("pane:loaded", setUp);
});
