/* Client-side filters of /disclosures/, driven by disclosures/index.json (public records only).
   Progressive enhancement: without JavaScript the form stays hidden and the static table and year pages work.
   Every value is inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var form = document.querySelector("form.osqi-filters");
  var table = document.querySelector("table.osqi-listing");
  if (!form || !table || !window.fetch || !window.URLSearchParams) return;

  var SEVERITIES = ["Critical", "High", "Medium", "Low", "None", "Not scored"];
  var FIELDS = ["q", "ecosystem", "package", "severity", "year", "status"];
  var root = form.getAttribute("data-root") || "";
  var tbody = table.tBodies[0];
  var count = document.getElementById("osqi-count");
  var items = [];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function uniq(values) {
    var seen = Object.create(null), out = [];
    values.forEach(function (v) { if (!seen[v]) { seen[v] = true; out.push(v); } });
    return out;
  }

  function fillSelect(select, values) {
    values.forEach(function (v) { select.appendChild(new Option(v, v)); });
  }

  function haystack(item) {
    var parts = [item.id, item.t].concat(item.a, item.p.map(function (p) { return p[1]; }));
    return parts.join("\n").toLowerCase();
  }

  function severityOf(item) { return item.s || "Not scored"; }

  function matches(item, f) {
    if (f.ecosystem && !item.p.some(function (p) { return p[0] === f.ecosystem; })) return false;
    if (f.package) {
      var wanted = f.package.toLowerCase();
      if (!item.p.some(function (p) { return p[1].toLowerCase().indexOf(wanted) !== -1; })) return false;
    }
    if (f.severity && severityOf(item) !== f.severity) return false;
    if (f.year && item.d.slice(0, 4) !== f.year) return false;
    if (f.status === "public" && item.w) return false;
    if (f.status === "withdrawn" && !item.w) return false;
    var words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
    return words.every(function (w) { return item.h.indexOf(w) !== -1; });
  }

  function row(item) {
    var tr = el("tr", item.w ? "osqi-row--withdrawn" : "");
    var date = el("td", "osqi-listing__date");
    var time = el("time", "", item.d);
    time.setAttribute("datetime", item.d);
    date.appendChild(time);
    var id = el("td", "osqi-listing__id");
    var a = el("a", "", item.id);
    a.href = root + "disclosures/" + item.id + "/";
    id.appendChild(a);
    item.a.forEach(function (alias) { id.appendChild(document.createTextNode(" ")); id.appendChild(el("span", "osqi-alias", alias)); });
    var title = el("td", "osqi-listing__title");
    if (item.w) { title.appendChild(el("span", "osqi-badge osqi-badge--withdrawn", "Withdrawn")); title.appendChild(document.createTextNode(" ")); }
    title.appendChild(document.createTextNode(item.t));
    var sev = el("td", "osqi-listing__sev");
    sev.appendChild(item.s
      ? el("span", "osqi-sev osqi-sev--" + item.s.toLowerCase(), item.s + " " + item.c.toFixed(1))
      : el("span", "osqi-sev osqi-sev--unscored", "Not scored"));
    var pkgs = el("td", "osqi-listing__pkgs");
    item.p.forEach(function (p, i) {
      if (i) pkgs.appendChild(el("br"));
      pkgs.appendChild(el("span", "osqi-pkg", p[1]));
      pkgs.appendChild(document.createTextNode(" "));
      pkgs.appendChild(el("span", "osqi-eco", p[0]));
    });
    [date, id, title, sev, pkgs].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function current() {
    var f = {};
    FIELDS.forEach(function (name) { f[name] = (form.elements[name].value || "").trim(); });
    return f;
  }

  function apply() {
    var f = current();
    var shown = items.filter(function (item) { return matches(item, f); });
    var frag = document.createDocumentFragment();
    shown.forEach(function (item) { frag.appendChild(row(item)); });
    if (!shown.length) {
      var empty = el("tr", "osqi-listing__empty");
      var td = el("td", "", "No disclosure matches these filters.");
      td.colSpan = 5;
      empty.appendChild(td);
      frag.appendChild(empty);
    }
    tbody.replaceChildren(frag);
    var active = FIELDS.some(function (name) { return f[name]; });
    count.textContent = active
      ? shown.length + " of " + items.length + " disclosures match."
      : "All " + items.length + " disclosures.";
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) { if (f[name]) params.set(name, f[name]); });
    var query = params.toString();
    history.replaceState(null, "", query ? "?" + query : location.pathname);
  }

  function init(data) {
    items = (data && data.items) || [];
    items.forEach(function (item) { item.h = haystack(item); });
    var ecosystems = uniq(items.flatMap(function (i) { return i.p.map(function (p) { return p[0]; }); }));
    ecosystems.sort(function (x, y) { return x.localeCompare(y, "en", { sensitivity: "base" }); });
    fillSelect(form.elements.ecosystem, ecosystems);
    var present = uniq(items.map(severityOf));
    fillSelect(form.elements.severity, SEVERITIES.filter(function (s) { return present.indexOf(s) !== -1; }));
    var years = uniq(items.map(function (i) { return i.d.slice(0, 4); })).sort().reverse();
    fillSelect(form.elements.year, years);
    var packages = uniq(items.flatMap(function (i) { return i.p.map(function (p) { return p[1]; }); })).sort();
    var list = document.getElementById("osqi-packages");
    packages.forEach(function (p) { list.appendChild(new Option(p)); });

    var params = new URLSearchParams(location.search);
    FIELDS.forEach(function (name) {
      var value = params.get(name);
      if (value) form.elements[name].value = value;
    });
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.hidden = false;
    count.hidden = false;
    table.classList.add("osqi-listing--filtered");
    apply();
  }

  fetch(form.getAttribute("data-index"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(init)
    .catch(function () { /* the static table stays as it is */ });
})();
