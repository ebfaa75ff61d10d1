/* Live pages: version checks on pushed fragments, forms kept through swaps, personal marks, sorting, clocks,
   reconnect indicator. No framework: htmx + its websocket extension do the transport and the swaps. */
(function () {
  "use strict";

  var serverOffsetMs = 0; // server time − browser time

  function setServerNow(ms) {
    var n = Number(ms);
    if (n) serverOffsetMs = n - Date.now();
  }

  // --- 0. Answers of requests whose element may be gone -------------------------------------------------------
  // A pushed render can replace a form or a "show more" while its request is on its way; htmx then fires
  // afterRequest on the detached element, and that event never reaches the document. onAnswer(pick) follows the
  // request itself: pick(elt, detail) runs as the request leaves and returns null (not mine) or a function called
  // with the xhr once the answer (or the failure) is in. Other pages' scripts use it as window.hubLive.onAnswer.
  // A write sent over the socket instead (section 6) runs the same picks, with its answer's status as the xhr's.
  var answerPicks = [];
  function onAnswer(pick) { answerPicks.push(pick); }
  function picksFor(elt, detail) {
    var done = [];
    answerPicks.forEach(function (pick) { var fn = pick(elt, detail); if (fn) done.push(fn); });
    return done.length ? function (xhr) { done.forEach(function (fn) { fn(xhr); }); } : null;
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt, xhr = evt.detail.xhr;
    if (!elt || !xhr) return;
    var done = picksFor(elt, evt.detail);
    if (done) xhr.addEventListener("loadend", function () { done(xhr); });
  });
  // writesOverSocket: votes, upvotes and supports go over the page's socket when it can take them (section 6);
  // false sends them as form posts, as without a socket.
  window.hubLive = { onAnswer: onAnswer, writesOverSocket: true };

  // --- 1a. Items: one version per item, removals remembered ---------------------------------------------------
  // A fragment of one item (a question, an argument, a poll's results: data-item = the item's element id) carries
  // the item's row version (data-v). Inserts, replacements, count updates and tombstones of the same item are
  // compared by that version, whatever element they target: an older one is dropped, so a late insert cannot bring
  // back an item that was hidden or merged, and an old card cannot undo a newer count.
  var itemVersions = {}; // item id → highest version seen, removals included
  var removedAt = {};    // item id → version of its tombstone

  function itemOf(el) { return el && el.getAttribute ? el.getAttribute("data-item") : null; }

  function knownVersion(item) {
    var el = document.getElementById(item);
    var shown = el ? Number(el.getAttribute("data-v")) || 0 : 0;
    return Math.max(itemVersions[item] || 0, shown);
  }

  function noteItem(el) {
    var item = itemOf(el), v = Number(el.getAttribute("data-v")) || 0;
    if (!item || !v) return;
    if (v > (itemVersions[item] || 0)) itemVersions[item] = v;
    if (el.hasAttribute("data-tombstone") && v > (removedAt[item] || 0)) removedAt[item] = v;
  }

  // Returns false when the fragment is older than what the page knows of the item.
  function acceptItem(incoming) {
    var item = itemOf(incoming);
    var v = Number(incoming.getAttribute("data-v")) || 0;
    if (v < knownVersion(item)) return false;
    noteItem(incoming);
    return true;
  }

  // After a whole list was swapped in (a snapshot on reconnect), items removed since its render stay removed.
  function pruneRemoved(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-item][data-v]").forEach(function (el) {
      var item = el.getAttribute("data-item");
      if (el.id === item && removedAt[item] && Number(el.getAttribute("data-v")) < removedAt[item]) el.remove();
    });
  }

  // An item fragment whose target is not on the page (outside the window, already removed): remember its version.
  // Most of an upvote flush is such fragments (counts of questions below the window): they are taken out of the
  // message before htmx swaps it (the "live-items" extension, on the pages' #live next to "ws"), because htmx logs
  // each missing target with console.error, which made every flush a long task on a slow phone.
  function targetOf(child) {
    var spec = child.getAttribute("hx-swap-oob") || "";
    var colon = spec.indexOf(":");
    if (colon >= 0) return document.querySelector(spec.slice(colon + 1));
    return child.id ? document.getElementById(child.id) : null;
  }
  if (window.htmx) htmx.defineExtension("live-items", {
    transformResponse: function (text) {
      if (typeof text !== "string" || text.indexOf("data-item") < 0) return text;
      var holder = document.createElement("template");
      holder.innerHTML = text;
      var dropped = false;
      Array.prototype.slice.call(holder.content.children).forEach(function (child) {
        if (!itemOf(child) || !child.hasAttribute("hx-swap-oob") || targetOf(child)) return;
        noteItem(child);
        child.remove();
        dropped = true;
      });
      return dropped ? holder.innerHTML : text;
    }
  });
  document.addEventListener("htmx:oobErrorNoTarget", function (evt) {
    var content = evt.detail.content;
    if (itemOf(content)) noteItem(content);
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    for (var _k in removedAt) { pruneRemoved(document); return; }
  });

  // --- 1. Drop stale fragments; never swap what a person is editing --------------------------------------------
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    var fragment = evt.detail.fragment;
    if (!target || !fragment) return;
    var incoming = fragment.firstElementChild || fragment;
    var item = itemOf(incoming);
    if (item) {
      if (!acceptItem(incoming)) { evt.detail.shouldSwap = false; return; }
      if (target.id !== item && incoming.id === item) {
        // An insert of an item the page already shows moves it rather than showing it twice.
        var existing = document.getElementById(item);
        if (existing) existing.remove();
      }
    } else {
      var newV = Number(incoming.getAttribute && incoming.getAttribute("data-v"));
      var oldV = Number(target.getAttribute("data-v"));
      if (newV && oldV && newV < oldV) {
        evt.detail.shouldSwap = false; // an older render arrived late: keep the newer one
        return;
      }
    }
    // Forms marked data-keep also carry hx-preserve: htmx moves the live form (draft, half-filled ballot) into the
    // new content, with Element.moveBefore where the browser has it (focus and selection survive). Elsewhere the
    // move blurs the field: give the focus and the caret back.
    var active = document.activeElement;
    if (active && target.contains(active) && active.closest("form[data-keep]")) {
      var sel = [active.selectionStart, active.selectionEnd];
      setTimeout(function () {
        if (document.body.contains(active)) {
          active.focus();
          try { active.setSelectionRange(sel[0], sel[1]); } catch (e) { /* not a text field */ }
        }
      }, 0);
    }
  });

  // --- 2. Personal marks (my votes, my upvotes) come from #me, never from the broadcast ------------------------
  function me() {
    var el = document.getElementById("me");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function applyMe() {
    var state = me();
    if (!state) return;
    document.querySelectorAll("button.upvote[data-qid]").forEach(function (b) {
      var mine = state.upvoted.indexOf(Number(b.dataset.qid)) >= 0;
      b.classList.toggle("mine", mine);
      if (b.getAttribute("aria-pressed") !== (mine ? "true" : "false")) b.setAttribute("aria-pressed", mine ? "true" : "false");
    });
    document.querySelectorAll("button.support[data-arg]").forEach(function (b) {
      b.classList.toggle("mine", state.supported.indexOf(Number(b.dataset.arg)) >= 0);
    });
    document.querySelectorAll("button.opt[data-poll]").forEach(function (b) {
      var mine = String(state.votes[b.dataset.poll]) === b.dataset.option;
      b.classList.toggle("chosen", mine);
      b.setAttribute("aria-pressed", mine ? "true" : "false");
    });
    renderMine(state);
    identify();
  }

  // "My questions": each question's fate, labelled by the server in the page's language (state.mine). Each part in
  // its own element: no label glued to a reason and the question with added punctuation.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function renderMine(state) {
    var mine = document.getElementById("mine");
    if (!mine || !state.mine) return;
    var list = el("ol", "my-questions");
    state.mine.forEach(function (q) {
      var li = el("li", "my-question status-" + q.status + " fate-" + q.fate);
      li.appendChild(el("p", "fate", q.status_label));
      li.appendChild(el("p", "qtext", q.text));
      if (q.reason) li.appendChild(el("p", "reason", q.reason));
      (q.answers || []).forEach(function (a) {
        var p = el("p", "my-answer");
        p.appendChild(el("strong", "", mine.dataset.labelAnswer));
        p.appendChild(document.createTextNode(" " + a));
        li.appendChild(p);
      });
      if (q.merged_into) {
        var kept = el("p", "kept");
        kept.appendChild(document.createTextNode(mine.dataset.labelKept + " "));
        var a = el("a", "", q.merged_into.text);
        a.href = "#q-" + q.merged_into.id;
        kept.appendChild(a);
        li.appendChild(kept);
      }
      list.appendChild(li);
    });
    mine.replaceChildren(state.mine.length ? list : el("p", "muted", mine.dataset.empty));
    var count = document.querySelector("[data-mine-count]");
    if (count) count.textContent = state.mine.length ? " (" + state.mine.length + ")" : "";
    // The "awaiting moderation" thank-you must not outlive what it said.
    var flash = document.getElementById("flash");
    var pending = state.mine.filter(function (q) { return q.fate === "pending"; }).length;
    if (flash && pending < lastPending && flash.classList.contains("success")) flash.textContent = "";
    lastPending = pending;
  }
  var lastPending = 0;

  // --- 3. Question order: one broadcast list, sorted here (most upvoted / newest) ------------------------------
  function sortMode() { return localStorage.getItem("qsort") || "top"; }

  // The count travels alone (an upvote flush sends only the count of each changed question): read it there.
  function upvotesOf(li) {
    var count = li.querySelector(".count");
    return count ? Number(count.textContent) || 0 : Number(li.dataset.upvotes) || 0;
  }

  function sortQuestions() {
    var list = document.querySelector("#questions ol.qlist");
    if (!list) return;
    var mode = sortMode();
    var items = Array.prototype.slice.call(list.querySelectorAll(":scope > li.question"));
    items.sort(function (a, b) {
      if (mode === "new") return Number(b.dataset.created) - Number(a.dataset.created);
      return upvotesOf(b) - upvotesOf(a) || Number(a.dataset.created) - Number(b.dataset.created);
    });
    var current = list.querySelectorAll(":scope > li.question");
    if (items.every(function (li, i) { return current[i] === li; })) return;  // in order: no DOM moves, no layout
    var more = list.querySelector(":scope > li.more");  // "show more" stays last
    items.forEach(function (li) { list.insertBefore(li, more); });
  }


  // --- 3b. Tabs (Top, Recent, My questions), search, "show more", and new questions held as "N new – show" ------
  // The live list (#qlist) is a window: the tabs and the search replace it with another window from the server
  // (GET …/questions), "show more" appends the next one. A question published while the reader is down the list
  // (or searching, or on "My questions") is held, not inserted above what they read: a button says how many wait.
  // The list itself is not a live region: only that button's text is announced, once per change.
  var heldInserts = [];
  function currentTab() { return localStorage.getItem("qtab") || "top"; }
  function searching() { var s = document.getElementById("qsearch-text"); return !!(s && s.value.trim().length >= 3); }
  function readingDown() {
    var list = document.getElementById("qlist");
    return !!list && list.getBoundingClientRect().top < 0;
  }
  function showHeld() {
    var box = document.getElementById("qnew");
    if (!box) return;
    box.hidden = heldInserts.length === 0;
    var b = box.querySelector("[data-show-new]");
    var live = document.getElementById("live");
    if (b && live) b.textContent = (live.dataset[heldInserts.length === 1 ? "msgNewOne" : "msgNewMany"] || "{n}").replace("{n}", heldInserts.length);
  }
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || target.id !== "qlist" || !evt.detail.shouldSwap) return;
    var incoming = evt.detail.fragment && (evt.detail.fragment.firstElementChild || evt.detail.fragment);
    if (!incoming || !incoming.id || document.getElementById(incoming.id)) return;
    if (!(readingDown() || searching() || currentTab() === "mine")) return;
    evt.detail.shouldSwap = false;
    heldInserts = heldInserts.filter(function (li) { return li.id !== incoming.id; });
    heldInserts.push(incoming.cloneNode(true));
    showHeld();
  });
  function insertHeld() {
    var list = document.getElementById("qlist");
    if (!list) return;
    if (currentTab() === "mine") selectTab("top", false);
    if (searching()) {
      // The list shows search results: the tab's window comes back from the server, new questions included.
      document.getElementById("qsearch-text").value = "";
      heldInserts = [];
      showHeld();
      loadWindow();
      list.scrollIntoView({ block: "start" });
      return;
    }
    putHeldInList(list);
    refresh();
    list.scrollIntoView({ block: "start" });
  }
  function putHeldInList(list) {
    heldInserts.forEach(function (li) {
      var item = li.getAttribute("data-item");
      if (item && typeof removedAt !== "undefined" && removedAt[item] && Number(li.getAttribute("data-v")) < removedAt[item]) return;  // hidden meanwhile
      if (document.getElementById(li.id)) return;
      list.insertBefore(li, list.firstChild);
      if (window.htmx) htmx.process(li);
    });
    heldInserts = [];
    showHeld();
  }
  function loadWindow() {
    var form = document.getElementById("qsearch");
    if (!form || !window.htmx) {
      // No server window to fetch: the list shown is the live one, so what was held for the reader joins it.
      var list = document.getElementById("qlist");
      if (list) putHeldInList(list);
      sortQuestions();
      return;
    }
    htmx.trigger(form, "submit");
  }
  function selectTab(tab, load) {
    localStorage.setItem("qtab", tab);
    localStorage.setItem("qsort", tab === "recent" ? "new" : "top");
    document.querySelectorAll("[data-tab]").forEach(function (b) {
      b.setAttribute("aria-selected", b.dataset.tab === tab ? "true" : "false");
      b.classList.toggle("active", b.dataset.tab === tab);
    });
    var mine = tab === "mine";
    ["questions", "qsearch"].forEach(function (id) { var e = document.getElementById(id); if (e) e.hidden = mine; });
    var panel = document.getElementById("mine");
    if (panel) panel.hidden = !mine;
    var order = document.getElementById("qorder");
    if (order && !mine) order.value = tab;
    if (load && !mine) loadWindow();
  }
  document.addEventListener("click", function (evt) {
    var tab = evt.target.closest && evt.target.closest("[data-tab]");
    if (tab) { selectTab(tab.dataset.tab, true); return; }
    if (evt.target.closest && evt.target.closest("[data-show-new]")) insertHeld();
    var fab = evt.target.closest && evt.target.closest("[data-ask-jump]");
    if (fab) {
      evt.preventDefault();
      var box = document.getElementById("ask-text");
      if (box) { box.scrollIntoView({ block: "center" }); box.focus(); }
    }
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    if (!evt.detail.requestConfig) return;  // a pushed fragment, not a window the reader asked for
    // A new window replaced the list: questions held for the old one are in it or will come with the next.
    if (evt.detail.target && evt.detail.target.id === "qlist") { heldInserts = []; showHeld(); }
    // A window read after items moved (an upvote, a live insert) may repeat one the page shows: keep the first.
    document.querySelectorAll("#qlist, .arguments ul").forEach(function (list) {
      var seen = {};
      list.querySelectorAll(":scope > li[id]").forEach(function (li) {
        if (seen[li.id]) li.remove(); else seen[li.id] = true;
      });
      pruneRemoved(list);
    });
    if (expanding && evt.detail.target && evt.detail.target.closest && evt.detail.target.closest("#qlist, li.more")) {
      showMoreAgain();
    }
  });
  // The search box asks for a window once the text makes a different search: 3 characters or more, or none (the
  // tab's window). One or two characters do not search; the tabs' own submits always load.
  var searchSent = null;
  function searchTerm() {
    var s = document.getElementById("qsearch-text");
    var text = s ? s.value.trim() : "";
    return text.length >= 3 ? text : "";
  }
  document.addEventListener("htmx:configRequest", function (evt) {
    if (!evt.detail.elt || evt.detail.elt.id !== "qsearch") return;
    var term = searchTerm();
    var typed = evt.detail.triggeringEvent && evt.detail.triggeringEvent.type === "input";
    if (typed && term === (searchSent === null ? "" : searchSent)) { evt.preventDefault(); return; }
    searchSent = term;
    if (term) evt.detail.parameters.q = term; else delete evt.detail.parameters.q;
  });
  // A snapshot of the list (on reconnect) is the Top window: a reader on Recent or searching gets theirs back, and
  // a reader who had shown more gets as many back (the next windows asked for again, at most ten) at the same
  // place on the page. Spread over two seconds: after a server restart every page reconnects at once.
  // A "show more" still on its way when the snapshot lands would be answered into the list the snapshot replaced:
  // count it as one more window shown, asked for again.
  var beforeSnapshot = null, expanding = null, moreInFlight = 0;
  onAnswer(function (elt) {
    if (!elt.closest || !elt.closest("#qlist > li.more")) return null;
    moreInFlight += 1;
    return function () { moreInFlight -= 1; };
  });
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "questions" || !evt.detail.shouldSwap) return;
    var shown = document.querySelectorAll("#qlist > li.question").length;
    beforeSnapshot = { shown: shown + (moreInFlight > 0 ? 1 : 0), scroll: window.scrollY };
  });
  document.addEventListener("htmx:oobAfterSwap", function (evt) {
    if (!evt.detail.target || evt.detail.target.id !== "questions") return;
    var before = beforeSnapshot;
    beforeSnapshot = null;
    if (currentTab() === "recent" || searchTerm()) { setTimeout(loadWindow, Math.random() * 2000); return; }
    if (before && currentTab() === "top" && before.shown > document.querySelectorAll("#qlist > li.question").length) {
      expanding = { target: before.shown, scroll: before.scroll, rounds: 0 };
      setTimeout(showMoreAgain, Math.random() * 2000);
    }
  });
  function showMoreAgain() {
    var e = expanding, list = document.getElementById("qlist");
    var more = list && list.querySelector(":scope > li.more a[hx-get]");
    if (!e || !more || !window.htmx || e.rounds >= 10 || list.querySelectorAll(":scope > li.question").length >= e.target) {
      expanding = null;
      if (e && e.rounds) window.scrollTo(0, e.scroll);
      return;
    }
    e.rounds += 1;
    htmx.ajax("GET", more.getAttribute("hx-get"), { target: more.closest("li"), swap: "outerHTML" });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-tab]")) return;
    var tab = currentTab();
    searchSent = searchTerm();
    // The page comes with the Top window (or, without JavaScript, the one its address named).
    selectTab(tab, tab === "recent" || searchSent !== "");
  });

  // --- 4. Clocks: computed locally from server data, never pushed every second --------------------------------
  function fmt(totalSeconds) {
    var over = totalSeconds < 0;
    var s = Math.abs(Math.round(totalSeconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var body = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
    return (over ? "+" : "") + body;
  }

  function tick() {
    var now = Date.now() + serverOffsetMs;
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      var state = el.dataset.state;
      var remaining;
      if ((state === "running" || state === "until") && el.dataset.deadlineMs) {
        remaining = (Number(el.dataset.deadlineMs) - now) / 1000;
      } else {
        remaining = Number(el.dataset.remaining || 0);
      }
      if (state === "until") {
        if (remaining < 0) remaining = 0;
        var d = Math.floor(remaining / 86400);
        var dayUnit = document.documentElement.lang === "fr" ? " j " : " d ";
        el.textContent = (d ? d + dayUnit : "") + fmt(remaining % 86400);
        return;
      }
      el.textContent = fmt(remaining);
      var warn = Number(el.dataset.warning || 30);
      el.classList.toggle("warning", remaining > 0 && remaining <= warn);
      el.classList.toggle("overtime", remaining < 0);
    });
  }
  setInterval(tick, 250);

  // --- 5. Connection state ------------------------------------------------------------------------------------
  function showConn(offline) {
    var el = document.getElementById("conn");
    if (el) el.hidden = !offline;
    document.body.classList.toggle("offline", offline);
  }
  document.addEventListener("htmx:wsOpen", function () { showConn(false); });
  // Close codes (live/relay.py): the extension itself retries only on 1006/1011/1012/1013. Every reconnect gets
  // a fresh snapshot, so a page that was told to reconnect (4503 server restarting, 4408 too slow, a server
  // error) catches up at once. 4429 (too many connections from this network) waits longer. 4401 (access revoked:
  // new screen link, role removed, logged out), 4403 and 4404 never reconnect by themselves.
  var NOT_HERE = [1006, 1011, 1012, 1013, 4401, 4403, 4404];  // the extension's own retries, or never
  document.addEventListener("htmx:wsClose", function (evt) {
    showConn(true);
    var code = evt.detail.event && evt.detail.event.code;
    if (NOT_HERE.indexOf(code) >= 0) return;
    var wrapper = evt.detail.socketWrapper;
    var delay = code === 4429 ? 5000 + Math.random() * 15000 : 500 + Math.random() * 2500;
    setTimeout(function () { if (wrapper && wrapper.reconnect) wrapper.reconnect(); }, delay);
  });
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    var m = /data-server-now-ms="(\d+)"/.exec(evt.detail.message || "");
    if (m && evt.detail.message.indexOf('id="server-time"') >= 0) setServerNow(m[1]);
  });

  // My own state (my questions' fate, being muted) is never broadcast. The server nudges my sockets when it
  // changes (#me-stale) and I fetch it; while some question is pending I also look every 15 s, in case a nudge
  // was missed (socket reconnecting).
  function refreshMe() {
    var live = document.getElementById("live");
    if (!live || !live.dataset.meUrl || !document.getElementById("me")) return;
    fetch(live.dataset.meUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fresh) {
        if (!fresh) return;
        document.getElementById("me").textContent = JSON.stringify(fresh);
        applyMe();
      }).catch(function () { /* offline: try again later */ });
  }
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    if ((evt.detail.message || "").indexOf('id="me-stale"') >= 0) refreshMe();
  });
  // Who my socket is. On connecting, the server reads my session cookie and, if I am a participant, says so first
  // ({"type": "identity", "ref": my live_ref}, before the server-time frame): nothing to do. Otherwise (I became a
  // participant after it connected, or a recovery or voter code made me another one: a new live_ref) I say who I am
  // with my live_token. The page and the htmx answers are compressed, so they never carry that token
  // (debates/breach.py), only its digest (live_ref): it comes from …/me, or from my first write's answer over the
  // socket, and is kept for the reconnections.
  var liveSocket = null, socketRef = null, socketReady = false, liveToken = null, liveRef = null, tokenAskedAt = 0;
  function identify() {
    var state = me();
    if (!state) return;
    if (state.live_token) { liveToken = state.live_token; liveRef = state.live_ref; }
    if (!liveSocket || !socketReady || !state.live_ref || socketRef === state.live_ref) return;
    if (state.live_ref !== liveRef) {
      if (Date.now() - tokenAskedAt < 5000) return;  // asked already (or just failed: offline, server error)
      tokenAskedAt = Date.now();
      refreshMe();  // its answer carries the token; applyMe calls identify again
      return;
    }
    liveSocket.send(JSON.stringify({ type: "identify", token: liveToken }));
    socketRef = liveRef;
  }
  document.addEventListener("htmx:wsOpen", function (evt) {
    socketRef = null;
    socketReady = false;  // until the server-time frame (an identity frame comes before it): no writes, no identify
    if (document.getElementById("me")) liveSocket = evt.detail.socketWrapper;
  });
  document.addEventListener("htmx:wsClose", function () { socketReady = false; });
  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var text = evt.detail.message;
    if (typeof text !== "string" || text.lastIndexOf('{"type": "identity"', 0) !== 0) return;
    evt.preventDefault();  // not HTML for the extension to swap
    try { socketRef = JSON.parse(text).ref; } catch (e) { /* the page identifies itself */ }
  });
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    if (socketReady || (evt.detail.message || "").indexOf('id="server-time"') < 0) return;
    socketReady = true;
    identify();
  });
  // --- 6. Votes, upvotes and supports over the page's socket ---------------------------------------------------
  // A hall votes at once. Over HTTP every vote is a request (about 1 ms of server CPU here, most of it HTTP);
  // over the socket this page already holds it is one frame into the same batches (debates.views_hot
  // .socket_write). The forms stay as they are: htmx:confirm holds the request and sends a write frame instead,
  // and the answer (the same flash line) comes back on the socket. Whatever the socket cannot do goes over HTTP as
  // before: no open socket, a participant whose socket is not identified yet, the server answering "retry", the
  // socket closing before the answer. (A write sent twice that way is the same vote; a second upvote is refused.)
  var writeSeq = 0, pendingWrites = {};
  var WRITE_TIMEOUT_MS = 15000;  // an open socket answers or closes: this only guards against the unforeseen
  document.addEventListener("htmx:wsClose", function () {
    Object.keys(pendingWrites).forEach(function (n) { settleWrite(n, null); });
  });
  function writeOf(form) {
    if (!form || form.tagName !== "FORM") return null;
    if (form.dataset.proposalAction === "support") {  // the proposals pages
      return { action: "proposal_support", target: Number(form.dataset.proposal) };
    }
    var button = form.querySelector("button[data-poll], button[data-qid], button[data-arg]");
    if (!button || button.disabled) return null;
    if (button.dataset.poll) {
      return { action: "vote", target: Number(button.dataset.poll), option: Number(button.dataset.option) };
    }
    if (button.dataset.qid) {
      return button.classList.contains("mine") ? null : { action: "upvote", target: Number(button.dataset.qid) };
    }
    return { action: "support", target: Number(button.dataset.arg) };
  }
  function writer() {  // who a write frame is sent as ({} the identified socket, {key} a newcomer), or null: HTTP
    var state = me();
    if (!state || !liveSocket || !socketReady || !window.hubLive.writesOverSocket) return null;
    if (state.live_ref) return socketRef === state.live_ref ? {} : null;
    var key = clientKey();
    return key ? { key: key } : null;
  }
  document.addEventListener("htmx:confirm", function (evt) {
    var form = evt.detail.elt, write = writeOf(form), who = write && writer();
    if (!who) return;
    evt.preventDefault();
    var n = ++writeSeq;
    var frame = { type: "write", n: n, action: write.action, target: write.target };
    if (write.option) frame.option = write.option;
    if (who.key) frame.key = who.key;
    pendingWrites[n] = {
      done: picksFor(form, { elt: form, pathInfo: { requestPath: evt.detail.path || "" } }),
      overHttp: function () { evt.detail.issueRequest(true); },
      timer: setTimeout(function () { settleWrite(n, null); }, WRITE_TIMEOUT_MS)
    };
    try { liveSocket.send(JSON.stringify(frame)); } catch (e) { settleWrite(n, null); }
  });
  document.addEventListener("htmx:wsBeforeMessage", function (evt) {
    var text = evt.detail.message;
    if (typeof text !== "string" || text.lastIndexOf('{"type": "answer"', 0) !== 0) return;
    evt.preventDefault();  // not HTML for the extension to swap
    var answer = null;
    try { answer = JSON.parse(text); } catch (e) { return; }
    settleWrite(answer.n, answer);
  });
  function settleWrite(n, answer) {
    var write = pendingWrites[n];
    if (!write) return;
    delete pendingWrites[n];
    clearTimeout(write.timer);
    if (!answer || answer.retry) { write.overHttp(); return; }
    var template = document.createElement("template");
    template.innerHTML = answer.html || "";
    var fresh = template.content.querySelector("#flash"), flash = document.getElementById("flash");
    if (fresh && flash) {  // the live region stays the same element: screen readers announce the new line
      flash.className = fresh.className;
      flash.textContent = fresh.textContent;
    }
    if (answer.token) becameParticipant(answer);
    if (write.done) write.done({ status: answer.status });
  }
  // My first write over the socket made me a participant: the socket is me already (the server identified it),
  // and the page keeps the token for reconnections. My session learns it from the key's cookie on the next page
  // load or request (…/me, an HTTP write).
  function becameParticipant(answer) {
    liveToken = answer.token;
    liveRef = socketRef = answer.ref;
    var el = document.getElementById("me"), state = me();
    if (el && state) { state.live_ref = answer.ref; el.textContent = JSON.stringify(state); }
  }

  setInterval(function () {
    var state = me();
    if (state && state.mine && state.mine.some(function (q) { return q.status === "pending"; })) refreshMe();
  }, 15000);

  // When the debate closes under an open page, the status widget says so (#status.status-closed): stop offering
  // what the server now refuses (ask, argue, vote, upvote), show the closed notices (with the report's link).
  // A draft stays in its hidden box, never wiped.
  function applyClosed() {
    var status = document.getElementById("status");
    if (!status || !document.getElementById("me")) return;
    var closed = status.classList.contains("status-closed");
    document.body.classList.toggle("debate-closed", closed);
    document.querySelectorAll("[data-open-only]").forEach(function (el) { el.hidden = closed; });
    document.querySelectorAll("[data-closed-only]").forEach(function (el) { el.hidden = !closed; });
    document.querySelectorAll("button.upvote, button.support").forEach(function (b) { if (closed) b.disabled = true; });
  }

  // Length counters: what the server counts (code points after NFC, spaces around trimmed), never a cut. Past
  // the limit the counter says by how much, and the server refuses with its message; the text stays.
  function codePoints(text) { return Array.from((text || "").normalize("NFC").trim()).length; }
  function updateCounter(box) {
    var counter = document.querySelector('[data-counter-for="' + box.id + '"]');
    var max = Number(box.dataset.max);
    if (!counter || !max) return;
    var n = codePoints(box.value);
    var live = document.getElementById("live");
    var over = n > max;
    var template = live && live.dataset[over ? "msgTooLong" : "msgCount"];
    counter.textContent = template ? template.replace("{n}", over ? n - max : n).replace("{max}", max) : n + " / " + max;
    counter.classList.toggle("over", over);
    box.setAttribute("aria-invalid", over ? "true" : "false");
  }
  document.addEventListener("input", function (evt) {
    if (evt.target && evt.target.matches && evt.target.matches("textarea[data-max]")) updateCounter(evt.target);
  });
  function updateCounters() { document.querySelectorAll("textarea[data-max]").forEach(updateCounter); }

  function refresh() { applyMe(); sortQuestions(); applyClosed(); updateCounters(); tick(); }
  // Votes and upvotes answer with a message only (they are the hot path): record my choice when the answer comes
  // (the form may have been replaced by a pushed render of its widget by then: a busy poll re-renders its ballot).
  onAnswer(function (form, detail) {
    if (form.tagName !== "FORM") return null;
    var button = form.querySelector("button[data-poll], button[data-qid], button[data-arg]");
    if (!button) return null;
    var poll = button.dataset.poll, option = Number(button.dataset.option);
    var qid = Number(button.dataset.qid), arg = Number(button.dataset.arg);
    var undone = /\/undo$/.test((detail.pathInfo && detail.pathInfo.requestPath) || "");
    return function (xhr) {
      var el = document.getElementById("me");
      var state = me();
      if (xhr.status < 200 || xhr.status >= 300 || !el || !state) return;
      if (poll) state.votes[poll] = option;
      if (qid && undone) state.upvoted = state.upvoted.filter(function (id) { return id !== qid; });
      else if (qid && state.upvoted.indexOf(qid) < 0) state.upvoted.push(qid);
      if (arg && state.supported.indexOf(arg) < 0) state.supported.push(arg);
      el.textContent = JSON.stringify(state);
      applyMe();
    };
  });
  // hx-on attributes never run (allowEval is off): clear a kept form's text once the server has accepted it.
  // A kept form (question, argument, moderator drafts) never loses what someone wrote: remember the text each
  // request carries, and once the server has accepted it clear only the boxes that still hold that very text (the
  // citizen may already be typing the next question). Send is disabled meanwhile (hx-disabled-elt), so no second
  // request queues behind the first and reads the box later. A refusal keeps the text and shows the server's
  // reason (swapped into #flash); no answer at all (offline, server down) keeps it with a message.
  // A random key of this browser, sent with every write: a retried first vote whose answer (and session cookie)
  // was lost finds the participant it made on the server instead of making a second one.
  // The key also rides in a cookie (only once a write needs it): a first vote sent over the socket sets no session
  // cookie, and the next page load finds that participant by the key (services.participant_known_to_browser).
  var keyCookieSet = false;
  function clientKey() {
    try {
      var key = localStorage.getItem("client-key");
      if (!key && window.crypto && crypto.randomUUID) {
        key = crypto.randomUUID();
        localStorage.setItem("client-key", key);
      }
      if (key && !keyCookieSet) {
        document.cookie = "client_key=" + key + "; path=/; max-age=31536000; samesite=lax" +
          (location.protocol === "https:" ? "; secure" : "");
        keyCookieSet = true;
      }
      return key;
    } catch (e) { return null; }  // storage refused (private mode): the session cookie alone
  }
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.verb !== "get") {
      var key = clientKey();
      if (key) evt.detail.headers["X-Client-Key"] = key;
    }
  });
  var sentTexts = new WeakMap();
  // A tap on my own upvote takes it back: same form, sent to its undo address.
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form || !form.classList || !form.classList.contains("upvote-form") || !form.dataset.undo) return;
    var button = form.querySelector("button.upvote");
    if (button && button.classList.contains("mine")) evt.detail.path = form.dataset.undo;
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form || form.tagName !== "FORM" || !form.hasAttribute("data-keep")) return;
    var sent = [];
    form.querySelectorAll("textarea").forEach(function (t) { sent.push([t, t.value]); });
    sentTexts.set(form, sent);
  });
  function flashError(text) {
    var flash = document.getElementById("flash");
    if (!flash || !text) return;
    flash.className = "flash error";
    flash.textContent = text;
  }
  function notSent(evt, key) {
    var form = evt.detail.elt;
    if (!form || form.tagName !== "FORM") return;
    var live = document.getElementById("live");
    flashError(live && live.dataset[key]);
  }
  document.addEventListener("htmx:sendError", function (evt) { notSent(evt, "msgOffline"); });
  document.addEventListener("htmx:timeout", function (evt) { notSent(evt, "msgOffline"); });
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr && evt.detail.xhr.status;
    if (!status || status >= 500) notSent(evt, "msgServerError");  // a 4xx carries its own message (#flash)
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!evt.detail.successful || !form || form.tagName !== "FORM" || !form.hasAttribute("data-keep")) return;
    var sent = sentTexts.get(form) || [];
    sentTexts.delete(form);
    var unchanged = sent.every(function (pair) { return pair[0].value === pair[1]; });
    sent.forEach(function (pair) {
      if (pair[0].value === pair[1]) {
        pair[0].value = "";
        pair[0].dispatchEvent(new Event("input", { bubbles: true }));  // counters follow
      }
    });
    if (!unchanged) return;  // something new is being written: leave the rest of the form alone
    if (form.hasAttribute("data-reset")) form.reset();
    else form.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = false; });
    var details = form.closest("details[data-close-on-success]");
    if (details) details.open = false;
  });
  // Once per batch of swaps, not once per swapped element: a frame of a dozen counts settles a dozen times, and
  // each refresh reads every button and the list (a long task on a slow phone when it ran a dozen times).
  var refreshQueued = false;
  function scheduleRefresh() {
    if (refreshQueued) return;
    refreshQueued = true;
    setTimeout(function () { refreshQueued = false; refresh(); }, 0);
  }
  document.addEventListener("htmx:afterSettle", scheduleRefresh);
  document.addEventListener("htmx:wsAfterMessage", scheduleRefresh);
  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    if (live) setServerNow(live.dataset.serverNowMs);
    refresh();
  });
  if (window.htmx) htmx.config.wsReconnectDelay = function (retry) {
    var exp = Math.min(30000, 1000 * Math.pow(2, retry));
    return exp / 2 + Math.random() * exp / 2;
  };
})();
