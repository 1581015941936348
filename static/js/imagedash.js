// Behaviour for imagedash pages. Loaded as a static file (no inline script) so that a strict
// Content-Security-Policy holds. The pages work without it; it only adds conveniences.
(function () {
  "use strict";

  var BADGE = "#status-badge";

  // Copy buttons: <button data-copy-target="element-id">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy-target]");
    if (!button || !navigator.clipboard) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  function isBadge(element) {
    return element && element.matches && element.matches(BADGE);
  }

  // No polls while the tab is hidden ...
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isBadge(event.detail.elt) && document.visibilityState === "hidden") {
      event.preventDefault();
    }
  });

  // ... and one right away when it is shown again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    var badge = document.querySelector(BADGE + "[hx-get]");
    if (badge) window.htmx.trigger(badge, "imagedash:refresh");
  });

  // A poll that never got an answer: say so. The badge keeps its trigger, so the next poll
  // retries and its answer replaces this text.
  function connectionLost(event) {
    var badge = event.detail.elt;
    if (!isBadge(badge)) return;
    badge.classList.add("badge-lost");
    badge.textContent = "connection lost, retrying";
  }
  document.addEventListener("htmx:sendError", connectionLost);
  document.addEventListener("htmx:timeout", connectionLost);
  document.addEventListener("htmx:responseError", connectionLost);
})();
