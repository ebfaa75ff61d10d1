// The organiser's pages: agenda rows (add, move, total), copy a link, confirm a button, print.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); return; }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var box = document.querySelector(copy.getAttribute("data-copy"));
      box.select();
      var done = function () { copy.textContent = copy.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand("copy"); done(); }); }
      else { document.execCommand("copy"); done(); }
      return;
    }
    if (event.target.closest("[data-print]")) { window.print(); return; }
    var move = event.target.closest("[data-move]");
    if (move) {
      var row = move.closest(".agenda-row");
      if (move.getAttribute("data-move") === "-1" && row.previousElementSibling) row.parentNode.insertBefore(row, row.previousElementSibling);
      else if (move.getAttribute("data-move") === "1" && row.nextElementSibling) row.parentNode.insertBefore(row.nextElementSibling, row);
      move.focus();
      return;
    }
    if (event.target.closest("[data-add-segment]")) {
      var list = document.querySelector("[data-agenda]");
      var last = list.lastElementChild;
      var fresh = last.cloneNode(true);
      var n = list.children.length + 1;
      fresh.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.id = input.id.replace(/\d+$/, String(n));
      });
      fresh.querySelectorAll("label").forEach(function (label) { label.htmlFor = label.htmlFor.replace(/\d+$/, String(n)); });
      list.appendChild(fresh);
      fresh.querySelector("input").focus();
    }
  });
  function total() {
    var out = document.querySelector("[data-agenda-total]");
    if (!out) return;
    var sum = 0;
    document.querySelectorAll("[data-agenda] input[name=agenda-minutes]").forEach(function (i) { var v = parseInt(i.value, 10); if (v > 0) sum += v; });
    var h = Math.floor(sum / 60), m = sum % 60;
    out.textContent = sum ? "Σ " + (h ? h + " h " : "") + (m ? m + " min" : "") : "";
  }
  document.addEventListener("input", function (event) { if (event.target.name === "agenda-minutes") total(); });
  total();
})();
