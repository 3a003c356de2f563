/* Workspace helpers; every page works without them.
   - form[method=post]: a double click sends the form once.
   - form[data-preview-url]: refresh the preview while the coordinator types.
   - [data-progress-url]: update the sending progress bar every few seconds. */
(function () {
  "use strict";

  function livePreview(form) {
    var target = document.querySelector("[data-preview-target]");
    if (!target) { return; }
    var timer = null;
    function refresh() {
      var body = new FormData(form);
      body.set("action", "preview");
      fetch(form.getAttribute("data-preview-url"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { target.innerHTML = html; } })
        .catch(function () { /* the preview button still works */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(refresh, 400); }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  function progress(section) {
    var bar = section.querySelector("progress");
    var text = section.querySelector("[data-progress-text]");
    function poll() {
      fetch(section.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if (bar) { bar.max = Math.max(1, data.total || 0); bar.value = data.sent || 0; }
          var status = section.querySelector("[data-progress-status]");
          if (status && data.status_label) { status.textContent = data.status_label; }
          if (text && data.summary) {
            text.textContent = data.summary;
          } else if (text) {
            text.textContent = text.getAttribute("data-template")
              ? text.getAttribute("data-template").replace("{sent}", data.sent).replace("{total}", data.total).replace("{failed}", data.failed)
              : (data.sent + " / " + data.total);
          }
          if (data.status === "sending" || data.status === "scheduled") { setTimeout(poll, 3000); }
        })
        .catch(function () { setTimeout(poll, 10000); });
    }
    setTimeout(poll, 2000);
  }

  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
    });
  }
  // Coming back with the browser's Back button: the forms may be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { form.removeAttribute("data-sending"); });
  });

  // A refused form moves the focus to its error summary: form-errors.js, loaded by base.html.
  document.querySelectorAll("form[method=post]").forEach(sendOnce);
  document.querySelectorAll("form[data-preview-url]").forEach(livePreview);
  document.querySelectorAll("[data-progress-url]").forEach(progress);
}());
