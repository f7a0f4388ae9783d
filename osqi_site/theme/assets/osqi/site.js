/* Loaded on every page, before Material's bundle: two fixes to Material's own behaviour.

   1. The search index on demand. Material fetches the whole search index (search/search_index.json) as
   soon as a page loads. Most readers never search, so the request is held back until the reader opens
   search: focuses or clicks the search box, or presses one of Material's search keys. Material makes the
   request with XMLHttpRequest; only that one request is held. Without JavaScript there is no search. */
(function () {
  "use strict";

  var INDEX = /\/search\/search_index\.json$/;
  var release;
  var opened = new Promise(function (resolve) { release = resolve; });
  var proto = XMLHttpRequest.prototype;
  var open = proto.open;
  var send = proto.send;

  proto.open = function (method, url) {
    this.osqiIndex = INDEX.test(String(url).split(/[?#]/)[0]);
    return open.apply(this, arguments);
  };
  proto.send = function () {
    var xhr = this, args = arguments;
    if (!xhr.osqiIndex) return send.apply(xhr, args);
    opened.then(function () { send.apply(xhr, args); });
  };

  function wants(target) {
    return target instanceof Element && !!target.closest(".md-search, [for='__search']");
  }
  document.addEventListener("focusin", function (e) { if (wants(e.target)) release(); }, true);
  document.addEventListener("pointerdown", function (e) { if (wants(e.target)) release(); }, true);
  document.addEventListener("keydown", function (e) {
    // Material opens search on "/", "s" and "f" outside form fields.
    if (e.key === "/" || e.key === "s" || e.key === "f" || e.key === "S" || e.key === "F") release();
  }, true);
  document.addEventListener("change", function (e) {
    if (e.target instanceof Element && e.target.id === "__search") release();
  }, true);
})();

/* 2. The colour-scheme toggle as one keyboard stop with the right name. Material shows the label (the button)
   that follows the active scheme's radio but leaves every radio unchecked until the first click, so Tab
   lands on the first radio whatever the scheme, named for the other one. Checking the active scheme's radio
   makes it the group's stop; Material's own change handling is untouched (setting checked fires no event). */
(function () {
  "use strict";

  function sync() {
    var scheme = document.body.getAttribute("data-md-color-scheme");
    var radios = document.querySelectorAll(".md-header__option > .md-option");
    var active = null;
    radios.forEach(function (r) {
      var label = r.nextElementSibling;
      if (label && label.tagName === "LABEL" && !label.hidden) active = r;
    });
    if (!active) {
      radios.forEach(function (r) { if (r.getAttribute("data-md-color-scheme") === scheme) active = active || r; });
    }
    if (active && !active.checked) active.checked = true;
  }
  if (document.readyState === "complete") sync();
  else window.addEventListener("load", sync);
})();
