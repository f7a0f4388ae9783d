/* Copy buttons for the identifiers on a disclosure page. Progressive enhancement: without JavaScript the
   identifiers are plain selectable text; the buttons only exist when they can work. */
(function () {
  "use strict";

  var targets = document.querySelectorAll("[data-osqi-copy]");
  if (!targets.length) return;

  var ICON_COPY = "M19 21H8V7h11m0-2H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2m-3-4H4a2 2 0 0 0-2 2v14h2V3h12V1Z";
  var ICON_DONE = "M21 7 9 19l-5.5-5.5 1.41-1.41L9 16.17 19.59 5.59 21 7Z";
  var SVG_NS = "http://www.w3.org/2000/svg";

  var status = document.createElement("span");
  status.className = "osqi-visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function icon(path) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  targets.forEach(function (target) {
    var text = target.textContent.trim();
    var button = document.createElement("button");
    button.type = "button";
    button.className = "osqi-copy";
    button.setAttribute("aria-label", "Copy " + text);
    button.title = "Copy " + text;
    button.appendChild(icon(ICON_COPY));
    var timer = 0;
    button.addEventListener("click", function () {
      copy(text).then(function () {
        button.replaceChildren(icon(ICON_DONE));
        button.setAttribute("data-copied", "");
        status.textContent = "Copied " + text + " to the clipboard";
        clearTimeout(timer);
        timer = setTimeout(function () {
          button.replaceChildren(icon(ICON_COPY));
          button.removeAttribute("data-copied");
        }, 2000);
      }, function () {
        status.textContent = "Could not copy; select the text instead";
      });
    });
    target.insertAdjacentElement("afterend", button);
  });
})();
