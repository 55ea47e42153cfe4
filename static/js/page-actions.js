// Small page behaviours, declared in the HTML with data- attributes instead of inline
// handlers (onclick="…"), so the Content-Security-Policy can forbid every inline script.
//   <select data-submit-on-change>           submits its form when changed (language switch)
//   <button data-confirm="Sure?">            asks before submitting (also on <form>)
//   <input type="checkbox" data-select-all="ids">  checks or unchecks every input[name=ids]
(function () {
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-submit-on-change]") && target.form) target.form.submit();
    if (target.matches("input[data-select-all]")) {
      var selector = "input[name='" + target.dataset.selectAll + "']";
      document.querySelectorAll(selector).forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // Capture phase: runs before the data-busy handler, which skips a cancelled submit. The
  // browser has already checked the form's required fields when "submit" fires, so nobody
  // is asked to confirm a form that is not complete.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var asking = event.submitter && event.submitter.dataset.confirm ? event.submitter : form;
      var question = asking.dataset && asking.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    },
    true
  );
})();
