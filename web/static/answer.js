// The ticket page: which post the reply answers. A click on a post (or its
// "Answer this post" link) points the reply box at it, and [ and ] move
// to the previous or next post. The box says which post it answers, its
// length limit follows that post's channel, and a post answered already
// asks for an explicit "answer it again".
document.addEventListener("DOMContentLoaded", function () {
  var field = document.getElementById("in-reply-to");
  var posts = Array.prototype.slice.call(document.querySelectorAll("li.message.post[data-post]"));
  if (!field || posts.length === 0) { return; }
  var box = document.getElementById("reply-body");
  var again = document.getElementById("answer-again");
  var againBox = again ? again.querySelector("input") : null;

  function text(id, value) {
    var element = document.getElementById(id);
    if (element) { element.textContent = value; }
  }

  function choose(post) {
    field.value = post.dataset.post;
    posts.forEach(function (other) {
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
      againBox.checked = false;
      text("answer-again-text", answered);
    }
    var label = document.querySelector("label[for=reply-body]");
    if (box && label) {
      box.maxLength = Number(post.dataset.limit);
      label.textContent = "Your reply on " + box.form.dataset.platform + (post.dataset.direct ? " by direct message" : "") +
        " (up to " + post.dataset.limit + " characters; r to focus)";
      box.dispatchEvent(new Event("input"));
    }
    var url = new URL(window.location.href);
    url.searchParams.set("answer", post.dataset.post);
    url.hash = "";
    window.history.replaceState(window.history.state, "", url);
  }

  function current() {
    return posts.findIndex(function (post) { return post.dataset.post === field.value; });
  }

  posts.forEach(function (post) {
    post.addEventListener("click", function (event) {
      var link = event.target.closest("a, button, input, select, textarea, summary");
      if (link && !link.classList.contains("answer-this")) { return; }
      if (link) { event.preventDefault(); }
      else if (window.getSelection().toString()) { return; }
      choose(post);
      if (link && box) { box.focus(); }
    });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable ||
        ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0) { return; }
    if (event.key !== "[" && event.key !== "]") { return; }
    var index = current() + (event.key === "]" ? 1 : -1);
    if (index < 0 || index >= posts.length) { return; }
    event.preventDefault();
    choose(posts[index]);
    posts[index].scrollIntoView({block: "nearest"});
  });
});
