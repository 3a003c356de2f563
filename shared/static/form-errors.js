/* A form came back refused: move the focus to the error summary (or the form's one error notice),
   so a screen reader reads the errors first and a keyboard user starts from their links. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary") || document.querySelector(".notice-error[role=alert]");
  if (!summary) { return; }
  if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
  function focusSummary() {
    var active = document.activeElement;
    if (!active || active === document.body) { summary.focus(); }
  }
  focusSummary();
  // Scrolling to the form's #fragment after loading clears the focus in Chromium: take it back then.
  window.addEventListener("load", function () { setTimeout(focusSummary, 0); });
}());
