// Small page behaviours, declared in the HTML with data- attributes instead of inline
// handlers (onclick="…"), so the Content-Security-Policy can forbid every inline script.
//   <select data-submit-on-change>           submits its form when changed (language switch)
//   <button data-confirm="Sure?">            asks before submitting (also on <form>)
//   <button data-confirm-count="url" data-confirm-template="… %s …">  asks with an exact count
//          (and data-confirm-template-one="…" for a count of one)
//   <button data-confirm-estimate="url">       asks the server's question first, if it has one
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
      var button = event.submitter;
      if (button && button.dataset.confirmCount) {
        confirmWithCount(event, form, button);
        return;
      }
      if (button && button.dataset.confirmEstimate) {
        confirmWithEstimate(event, form, button);
        return;
      }
      var asking = button && button.dataset.confirm ? button : form;
      var question = asking.dataset && asking.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    },
    true
  );

  // <button data-confirm-count="/count/url" data-confirm-template="… %s …">: the exact number
  // is asked for only when the button is pressed (the list shows a capped count), then the
  // question carries it; yes submits the form with this button.
  function confirmWithCount(event, form, button) {
    if (button.dataset.confirmed) {
      delete button.dataset.confirmed;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    fetch(button.dataset.confirmCount, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { count: "?" }; })
      .catch(function () { return { count: "?" }; })
      .then(function (body) {
        var count = typeof body.count === "number" ? body.count.toLocaleString("en") : body.count;
        // One transaction is asked in the singular (data-confirm-template-one), never "all 1 …s".
        var template = body.count === 1 && button.dataset.confirmTemplateOne
          ? button.dataset.confirmTemplateOne
          : button.dataset.confirmTemplate;
        if (window.confirm(template.replace("%s", count))) {
          button.dataset.confirmed = "1";
          form.requestSubmit(button);
        }
      });
  }

  // <button data-confirm-estimate="/estimate/url">: the server says what the action will cost
  // (a long sync run: its requests against the limit); it is asked only when there is a
  // question, else the form goes at once. An unreachable estimate never blocks the action.
  function confirmWithEstimate(event, form, button) {
    if (button.dataset.confirmed) {
      delete button.dataset.confirmed;
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    fetch(button.dataset.confirmEstimate, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .catch(function () { return {}; })
      .then(function (body) {
        if (!body.question || window.confirm(body.question)) {
          button.dataset.confirmed = "1";
          form.requestSubmit(button);
        }
      });
  }
})();
