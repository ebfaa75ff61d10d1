/* Moderation console: keyboard shortcuts (j/k next/previous, a approve, r reject, s on screen), queue sorting, and
   keeping open <details> and the selection across live swaps. Every action is an ordinary form post. */
(function () {
  "use strict";

  var selectedId = null;
  var selectedIndex = 0;

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#mod-queue li[data-q], #mod-approved li[data-q]"));
  }

  function select(el) {
    items().forEach(function (li) { li.classList.remove("selected"); li.removeAttribute("aria-current"); });
    if (!el) { selectedId = null; return; }
    el.classList.add("selected");
    el.setAttribute("aria-current", "true");
    selectedId = el.id;
    selectedIndex = items().indexOf(el);
    el.scrollIntoView({ block: "nearest" });
  }

  function restoreSelection() {
    if (selectedId === null) return;
    var el = document.getElementById(selectedId);
    var list = items();
    if (!el) el = list[Math.min(selectedIndex, list.length - 1)] || null;
    select(el);
  }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var current = selectedId ? list.indexOf(document.getElementById(selectedId)) : -1;
    var next = current < 0 ? (step > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, current + step));
    select(list[next]);
  }

  function press(key) {
    var el = selectedId && document.getElementById(selectedId);
    if (!el) return false;
    var button = el.querySelector('button[data-key="' + key + '"]');
    if (!button || button.offsetParent === null) return false;
    button.click();
    return true;
  }

  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var t = evt.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var key = evt.key;
    if (key === "j") { move(1); evt.preventDefault(); }
    else if (key === "k") { move(-1); evt.preventDefault(); }
    else if (key === "a" || key === "r" || key === "s") { if (press(key)) evt.preventDefault(); }
  });

  document.addEventListener("click", function (evt) {
    var li = evt.target.closest && evt.target.closest("#mod-queue li[data-q], #mod-approved li[data-q]");
    if (li && !evt.target.closest("button, a, input, textarea, select, summary")) select(li);
  });

  // Queue order: newest or most upvoted, chosen here (the broadcast is one list for every moderator).
  function sortMode() { return localStorage.getItem("modsort") || "new"; }
  function sortQueue() {
    var list = document.querySelector("#mod-queue ol.mq-list");
    var mode = sortMode();
    if (list) {
      var lis = Array.prototype.slice.call(list.querySelectorAll(":scope > li[data-q]"));
      lis.sort(function (a, b) {
        if (mode === "top") return Number(b.dataset.upvotes) - Number(a.dataset.upvotes) || Number(b.dataset.created) - Number(a.dataset.created);
        return Number(b.dataset.created) - Number(a.dataset.created);
      });
      lis.forEach(function (li) { list.appendChild(li); });
    }
    document.querySelectorAll("[data-qsort]").forEach(function (b) {
      var on = b.dataset.qsort === mode;
      b.classList.toggle("active", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  document.addEventListener("click", function (evt) {
    var b = evt.target.closest && evt.target.closest("[data-qsort]");
    if (!b) return;
    localStorage.setItem("modsort", b.dataset.qsort);
    sortQueue();
  });

  // Keep open <details> (edit, reason, answer, arguments) open when their widget is replaced by a live update.
  var openDetails = {};
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("details[id]").forEach(function (d) { openDetails[d.id] = d.open; });
  });
  function afterSwap() {
    Object.keys(openDetails).forEach(function (id) {
      var d = document.getElementById(id);
      if (d && openDetails[id]) d.open = true;
    });
    sortQueue();
    restoreSelection();
  }
  document.addEventListener("htmx:oobAfterSwap", function () { setTimeout(afterSwap, 0); });
  document.addEventListener("htmx:wsAfterMessage", afterSwap);

  // Let the flash fade after a while so it does not hide the queue.
  var flashTimer = null;
  document.addEventListener("htmx:afterRequest", function () {
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () {
      var f = document.getElementById("mod-flash");
      if (f && f.classList.contains("success")) { f.textContent = ""; f.className = "flash mod-flash"; }
    }, 5000);
  });

  document.addEventListener("DOMContentLoaded", function () { sortQueue(); });
})();
