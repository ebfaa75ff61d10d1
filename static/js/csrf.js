/* Every non-GET request carries the CSRF token, and a form that htmx has not taken over yet never falls back to a
   native post.

   Why: live fragments are rendered once per audience for a broadcast, with no request, so their forms carry no
   csrfmiddlewaretoken field; and a form swapped in by a push is processed by htmx only when the swap settles
   (~20 ms later). A click in that window used to send a native, token-less POST: Django's 403 page replaced the
   console. Here the token comes from <meta name="csrf-token"> (else the csrftoken cookie), is added to every htmx
   request, and a native submit of an htmx form is sent through htmx instead. */
(function () {
  "use strict";

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    var m = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie);
    return m ? decodeURIComponent(m[1]) : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    if (String(evt.detail.verb).toLowerCase() === "get") return;
    var t = token();
    if (t) evt.detail.headers["X-CSRFToken"] = t;
  });

  // Bubble phase: htmx's own submit handler (on the form) has run and prevented the default when it handled it.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.tagName !== "FORM" || evt.defaultPrevented) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    var url = form.getAttribute("hx-post") || form.getAttribute("data-hx-post");
    if (url && window.htmx) {
      evt.preventDefault();
      var values = {};
      new FormData(form, evt.submitter || null).forEach(function (value, key) {
        if (key in values) values[key] = [].concat(values[key], value); else values[key] = value;
      });
      htmx.ajax("POST", url, { source: form, values: values, swap: form.getAttribute("hx-swap") || "none" });
      return;
    }
    // A plain post (no htmx): make sure the token travels as a field.
    if (!form.querySelector('input[name="csrfmiddlewaretoken"]')) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrfmiddlewaretoken";
      input.value = token();
      form.appendChild(input);
    }
  });

  // Confirmation of a destructive button (data-confirm): htmx reads hx-confirm from the form, not from the
  // button that submits it, so the console's confirmations are asked here, before htmx or a native post sees it.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  window.hubCsrfToken = token;
})();
