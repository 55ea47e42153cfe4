// Searchable account picker: a search box narrows the <select> it points at
// (data-filters="<select id>") to accounts whose code, English or Arabic name contains
// what was typed. Plain DOM, no framework; the <select> still works without it.
(function () {
  function normalize(text) {
    return (text || "").toLocaleLowerCase().normalize("NFKC");
  }
  function filter(input) {
    var select = document.getElementById(input.dataset.filters);
    if (!select) return;
    var query = normalize(input.value).trim();
    var matches = new Map();
    var firstMatch = null;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return; // the "Choose an account…" prompt stays
      var match = !query || normalize(option.textContent).indexOf(query) !== -1;
      matches.set(option, match);
      if (match && !firstMatch) firstMatch = option;
    });
    var current = select.selectedOptions[0];
    if (query && firstMatch && (!current || !current.value || !matches.get(current))) {
      select.value = firstMatch.value; // the best match is picked; the user can change it
    }
    var shown = 0;
    matches.forEach(function (match, option) {
      // The selected account never disappears: a search that matches nothing must not
      // leave the form submitting an empty (disabled) choice.
      var visible = match || option.selected;
      option.hidden = !visible;
      option.disabled = !visible;
      if (match) shown += 1;
    });
    var status = document.getElementById(input.dataset.filters + "-count");
    if (status) status.textContent = query ? status.dataset.template.replace("%s", shown) : "";
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("input[data-filters]")) filter(event.target);
  });
})();

// Forms marked data-busy show they are working (a bulk assignment of many rows takes a few
// seconds): the buttons are disabled against a double submit and the form is aria-busy.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("form[data-busy]") || event.defaultPrevented) return;
  form.setAttribute("aria-busy", "true");
  setTimeout(function () { // after the browser has taken the clicked button's value
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
  }, 0);
  var note = form.querySelector("[data-busy-text]");
  if (note) note.textContent = note.dataset.busyText;
});
