// Thumbnails of a post's photos and videos (web/templates/_media.html):
// a click opens the larger view in a dialog; a thumbnail the proxy would
// not pass on is replaced by its reason ("not shown: ..."). Listeners sit
// on the document, so panes loaded later are covered too.
(function () {
  "use strict";

  function dialog() {
    var view = document.getElementById("media-view");
    if (view) { return view; }
    view = document.createElement("dialog");
    view.id = "media-view";
    view.className = "media-view";
    view.setAttribute("aria-label", "Larger view");
    var bar = document.createElement("form");
    bar.method = "dialog";
    var open = document.createElement("a");
    open.className = "open-file";
    open.target = "_blank";
    open.rel = "noopener noreferrer";
    open.textContent = "Open the file";
    var close = document.createElement("button");
    close.type = "submit";
    close.textContent = "Close";
    bar.append(open, close);
    view.append(bar, document.createElement("div"), document.createElement("p"));
    view.addEventListener("click", function (event) { if (event.target === view) { view.close(); } });
    view.addEventListener("close", function () { view.querySelector("div").replaceChildren(); });
    document.body.append(view);
    return view;
  }

  function show(link) {
    var view = dialog();
    var shown;
    if (link.dataset.kind === "video") {
      shown = document.createElement("video");
      shown.controls = true;
      shown.autoplay = true;
      var poster = link.querySelector("img");
      if (poster) { shown.poster = poster.src; }
    } else {
      shown = document.createElement("img");
      shown.alt = link.dataset.alt || "";
    }
    shown.src = link.dataset.full;
    shown.addEventListener("error", function () { replaceWithReason(shown, shown.src); });
    view.querySelector("div").replaceChildren(shown);
    view.querySelector("p").textContent = link.dataset.alt || "";
    view.querySelector(".open-file").href = link.dataset.full;
    view.showModal();
  }

  function replaceWithReason(element, url) {
    fetch(url, {credentials: "same-origin"}).then(function (response) {
      return response.ok ? "not shown: the file could not be read" : response.text();
    }).catch(function () { return "not shown: the file could not be fetched"; }).then(function (reason) {
      var note = document.createElement("p");
      note.className = "not-shown";
      note.textContent = reason.indexOf("not shown:") === 0 ? reason : "not shown: the file could not be fetched";
      (element.closest(".media-open") || element).replaceWith(note);
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.media-open[data-full]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    event.stopPropagation();
    show(link);
  }, true);

  document.addEventListener("error", function (event) {
    var image = event.target;
    if (image.tagName === "IMG" && image.closest(".media-open")) { replaceWithReason(image, image.src); }
  }, true);

  // Thumbnails that failed before this script ran.
  document.querySelectorAll(".media-open img").forEach(function (image) {
    if (image.complete && image.naturalWidth === 0) { replaceWithReason(image, image.src); }
  });
})();
