/* Moderation console: keyboard shortcuts (j/k next/previous, a approve, r reject, s on screen), queue sorting, and
   keeping open <details> and the selection across live swaps. Every action is an ordinary form post. */
(function () {
  "use strict";

  // The selection is kept here (id and position), not in the DOM: a push replaces the cards, and htmx's settle step
  // even resets a swapped element's class 20 ms later. It is re-applied after every swap and settle.
  var selectedId = null;
  var selectedIndex = 0;
  var advanced = false;  // the selected card left and its successor took the selection: the next j stays on it

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("#mod-queue li[data-q], #mod-approved li[data-q]"));
  }

  // The selected card, or, when it left (approved, rejected…), the card that took its place.
  function current() {
    if (selectedId === null) return null;
    var el = document.getElementById(selectedId);
    if (el && el.matches("li[data-q]")) return el;
    var list = items();
    return list[Math.min(selectedIndex, list.length - 1)] || null;
  }

  function announce(el) {
    var region = document.getElementById("mod-announce");
    if (!region || !el) return;
    var list = el.closest("ol");
    var siblings = list ? Array.prototype.slice.call(list.querySelectorAll(":scope > li[data-q]")) : [el];
    var text = (el.querySelector(".mq-text") || el).textContent.trim();
    region.textContent = (region.dataset.pattern || "%(n)s / %(total)s: %(text)s")
      .replace("%(n)s", siblings.indexOf(el) + 1).replace("%(total)s", siblings.length).replace("%(text)s", text);
  }

  function focusable(active) {
    // Take the focus only when it is ours to take: nothing focused, or a card (it was replaced under the focus).
    return !active || active === document.body || (active.matches && active.matches("li[data-q]"));
  }

  function select(el, opts) {
    opts = opts || {};
    var active = document.activeElement;
    items().forEach(function (li) {
      if (li !== el) { li.classList.remove("selected"); li.removeAttribute("aria-current"); li.tabIndex = -1; }
    });
    if (!el) { selectedId = null; return; }
    el.classList.add("selected");
    el.setAttribute("aria-current", "true");
    el.tabIndex = 0;
    selectedId = el.id;
    selectedIndex = Math.max(0, items().indexOf(el));
    if (opts.user || focusable(active)) el.focus({ preventScroll: true });
    if (opts.user) { el.scrollIntoView({ block: "nearest" }); announce(el); }
  }

  function restoreSelection() {
    if (selectedId === null) return;
    var before = selectedId;
    var el = current();
    select(el);
    if (el && el.id !== before) { advanced = true; announce(el); }  // the card left: say which one is selected now
  }

  function move(step) {
    var list = items();
    if (!list.length) return;
    var el = current();
    // When the selected card left, its successor already is "the next one": j selects it without skipping.
    var stay = el && step > 0 && (advanced || el.id !== selectedId);
    var index = el ? list.indexOf(el) : -1;
    var next = index < 0 ? (step > 0 ? 0 : list.length - 1)
      : stay ? index : Math.max(0, Math.min(list.length - 1, index + step));
    advanced = false;
    select(list[next], { user: true });
  }

  function press(key) {
    var el = current();
    if (!el) return false;
    var button = el.querySelector('button[data-key="' + key + '"]');
    if (!button || button.offsetParent === null) return false;
    // A card swapped in by a push a few ms ago may not be processed by htmx yet: do it now, so the click is an
    // htmx request (csrf.js also catches a native submit, as a second line).
    if (window.htmx && button.form) htmx.process(button.form);
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
    else if ("wqbcvp".indexOf(key) >= 0 && key.length === 1) {
      // The projected screen: welcome, question, blank, closing, reveal, the first poll.
      var b = document.querySelector('#mod-screenctl button[data-key="' + key + '"]');
      if (b && b.offsetParent !== null) {
        if (window.htmx && b.form) htmx.process(b.form);
        b.click();
        evt.preventDefault();
      }
    }
  });

  document.addEventListener("click", function (evt) {
    var li = evt.target.closest && evt.target.closest("#mod-queue li[data-q], #mod-approved li[data-q]");
    if (li && !evt.target.closest("button, a, input, textarea, select, summary")) { advanced = false; select(li, { user: true }); }
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

  // Keep open <details> (edit, reason, answer, arguments) open when their widget is replaced by a live update. A
  // card's "⋯" panel is asked for when it first shows (hx-trigger="intersect once") and swapped in by id; a push of
  // the card brings only an empty placeholder of the same id with hx-preserve, so htmx moves the loaded panel, with
  // what is typed in it, into the new card, and reopening it here asks for nothing.
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
  document.addEventListener("htmx:afterSettle", function () { restoreSelection(); });

  // Let the flash fade after a while so it does not hide the queue.
  var flashTimer = null;
  document.addEventListener("htmx:afterRequest", function () {
    clearTimeout(flashTimer);
    var f0 = document.getElementById("mod-flash");
    // With an Undo button the message stays 8 s: long enough to press it, short enough not to linger.
    var delay = f0 && f0.querySelector("[data-undo]") ? 8000 : 5000;
    flashTimer = setTimeout(function () {
      var f = document.getElementById("mod-flash");
      if (f && f.classList.contains("success")) { f.textContent = ""; f.className = "flash mod-flash"; }
    }, delay);
  });

  // A failed action never leaves the console: refusals come back as an inline message from the server; a server
  // error or a lost connection is said here (the texts are translated in the page).
  function failed(kind) {
    var f = document.getElementById("mod-flash");
    var live = document.getElementById("live");
    if (!f || !live) return;
    f.textContent = live.dataset[kind] || "";
    f.className = "flash mod-flash error";
  }
  document.addEventListener("htmx:sendError", function () { failed("msgNetwork"); });
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status >= 500) failed("msgServer");
  });

  // Who handles which card: this console says which card its moderator selected (over the live socket); the
  // others show "Ana is on it" on that card for a minute, or until Ana moves on or closes her console.
  var socket = null, told = null, handling = {};  // user id -> {q, name, at}
  var HANDLING_MS = 60000;
  document.addEventListener("htmx:wsOpen", function (evt) { socket = evt.detail.socketWrapper; told = null; tell(); });
  document.addEventListener("htmx:wsClose", function () { socket = null; });
  function tell() {
    var el = selectedId && document.getElementById(selectedId);
    var q = el && el.dataset.q ? Number(el.dataset.q) : null;
    if (!socket || q === told) return;
    told = q;
    socket.send(JSON.stringify({ type: "handling", q: q }));
  }
  function showHandling() {
    var box = document.getElementById("mod-handling");
    if (!box) return;
    var now = Date.now(), me = box.dataset.me, byCard = {};
    Object.keys(handling).forEach(function (user) {
      var h = handling[user];
      if (user === me || !h.q || now - h.at > HANDLING_MS) return;
      (byCard[h.q] = byCard[h.q] || []).push(h.name);
    });
    items().forEach(function (li) {
      var names = byCard[li.dataset.q];
      var tag = li.querySelector(":scope > .handling");
      if (!names) { if (tag) tag.remove(); return; }
      if (!tag) { tag = document.createElement("span"); tag.className = "handling"; li.insertBefore(tag, li.firstChild); }
      tag.textContent = (box.dataset.msg || "%(name)s").replace("%(name)s", names.join(", "));
    });
  }
  function takeMarkers() {
    var box = document.getElementById("mod-handling");
    if (!box) return;
    box.querySelectorAll("[data-handling]").forEach(function (m) {
      handling[m.dataset.byId] = { q: m.dataset.q, name: m.dataset.by, at: Date.now() };
      m.remove();
    });
    showHandling();
  }
  document.addEventListener("htmx:oobAfterSwap", takeMarkers);
  document.addEventListener("htmx:afterSettle", function () { takeMarkers(); tell(); });
  document.addEventListener("keyup", tell);
  document.addEventListener("click", function () { setTimeout(tell, 0); });
  setInterval(showHandling, 15000);  // markers older than a minute fade out

  document.addEventListener("DOMContentLoaded", function () { sortQueue(); });
})();
