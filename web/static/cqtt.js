/* cqtt portal: a question before a step that cannot be undone, a warning before leaving a page
   with edits not yet saved, and the focus on a refused form's error summary. Every page works
   without this file (the server checks everything); it only adds care. No inline script is
   allowed by the Content-Security-Policy, so pages mark their forms with data- attributes. */
(function () {
  "use strict";
  var dirty = [];

  function markDirty(event) {
    var form = event.target && event.target.form;
    if (form && form.hasAttribute("data-unsaved") && dirty.indexOf(form) < 0) {
      dirty.push(form);
    }
  }

  document.addEventListener("input", markDirty, true);
  document.addEventListener("change", markDirty, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "1");
  });

  window.addEventListener("beforeunload", function (event) {
    for (var i = 0; i < dirty.length; i += 1) {
      if (!dirty[i].hasAttribute("data-submitting")) {
        event.preventDefault();
        event.returnValue = "";
        return "";
      }
    }
    return undefined;
  });

  // A refused form comes back with its error summary focused (read first by a screen reader,
  // in view); again once the page has loaded, since going to a #fragment moves the focus.
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) {
    summary.focus();
    window.addEventListener("load", function () {
      if (document.activeElement === document.body) {
        summary.focus();
      }
    });
  }
})();
