/* Proposals pages: my supports and reports marked from #my-proposals (never from the broadcast), kept through
   live swaps; a successful support or withdrawal updates them at once (the answer may carry only a message). */
(function () {
  "use strict";
  function mine() {
    var el = document.getElementById("my-proposals");
    try { return JSON.parse(el.textContent); } catch (e) { return { supported: [], flagged: [] }; }
  }
  function apply() {
    var state = mine();
    document.querySelectorAll("[data-proposal-id]").forEach(function (el) {
      var id = Number(el.dataset.proposalId);
      el.classList.toggle("supported", state.supported.indexOf(id) >= 0);
      el.classList.toggle("flagged", state.flagged.indexOf(id) >= 0);
    });
  }
  // The form may be replaced by a pushed list before its answer arrives: live.js follows the request itself.
  window.hubLive.onAnswer(function (form) {
    if (!form.dataset || !form.dataset.proposalAction) return null;
    var id = Number(form.dataset.proposal), action = form.dataset.proposalAction;
    return function (xhr) {
      if (xhr.status !== 200) return;
      var state = mine();
      var list = action === "flag" ? state.flagged : state.supported;
      var at = list.indexOf(id);
      if (action === "withdraw") { if (at >= 0) list.splice(at, 1); } else if (at < 0) list.push(id);
      document.getElementById("my-proposals").textContent = JSON.stringify(state);
      apply();
    };
  });
  // A socket that reconnects missed what was pushed meanwhile, and snapshots carry no proposals (every citizen
  // socket would pay for them): read this page again and take its live parts.
  var opened = 0;
  document.addEventListener("htmx:wsOpen", function () {
    document.documentElement.dataset.wsOpen = "1";
    if (opened++ === 0) return;
    fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        fresh.querySelectorAll("#proposals, [id$='-progress'], #my-proposals").forEach(function (el) {
          var old = document.getElementById(el.id);
          if (old) old.replaceWith(document.importNode(el, true));
        });
        if (window.htmx) htmx.process(document.getElementById("live"));
        apply();
      }).catch(function () { /* offline again: the next open retries */ });
  });
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("htmx:wsAfterMessage", apply);
  document.addEventListener("DOMContentLoaded", apply);
})();
