// Light or dark: the system's choice unless the person picked one with the
// header's switch, kept in localStorage. Loaded in <head>, so the page is
// drawn in the chosen colours from the start.
(function () {
  const root = document.documentElement;
  const stored = localStorage.getItem("theme");
  if (stored === "light" || stored === "dark") root.dataset.theme = stored;

  function current() {
    return root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  }

  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("theme-switch");
    if (!button) return;
    function show() {
      button.setAttribute("aria-pressed", String(current() === "dark"));
    }
    button.addEventListener("click", function () {
      const next = current() === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      localStorage.setItem("theme", next);
      show();
    });
    show();
  });
})();
