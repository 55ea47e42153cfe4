// Account picker: a text field that searches the organization's posting accounts as you type
// (code, English or Arabic name; GET /api/v1/accounting/accounts/search/), shows them in a
// list you move through with the arrow keys and choose with Enter or a click. The choice
// goes into the hidden field next to it. Without JavaScript the text field is submitted as
// an account code and the server resolves it.
(function () {
  "use strict";
  var DELAY_MS = 150;
  var arabicPage = (document.documentElement.lang || "").indexOf("ar") === 0;

  function setup(picker) {
    var input = picker.querySelector("[data-picker-input]");
    var value = picker.querySelector("[data-picker-value]");
    var list = picker.querySelector("[data-picker-list]");
    var timer = null;
    var active = -1;
    var asked = 0;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", String(i === active)); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.removeAttribute("aria-invalid");
      value.value = option.dataset.id;
      input.value = option.dataset.text;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(accounts) {
      list.textContent = "";
      active = -1; // the earlier matches are gone: nothing is highlighted until these are
      accounts.forEach(function (account, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.id = account.id;
        option.dataset.text = account.text;
        var code = document.createElement("b");
        code.textContent = account.code;
        option.appendChild(code);
        // "code · name · other name", the page's language first; each name isolated (bdi)
        // so that an English name on an Arabic page (or the reverse) keeps the order.
        var names = [[account.name_en, "en"], [account.name_ar, "ar"]];
        if (arabicPage) names.reverse();
        names.forEach(function (pair, n) {
          if (!pair[0]) return;
          option.appendChild(document.createTextNode(" · "));
          var name = document.createElement("bdi");
          name.lang = pair[1];
          if (n > 0) name.className = "muted";
          name.textContent = pair[0];
          option.appendChild(name);
        });
        list.appendChild(option);
      });
      if (!accounts.length) {
        var none = document.createElement("li");
        none.className = "muted picker-empty";
        none.setAttribute("role", "presentation");
        none.setAttribute("data-picker-empty", "");
        none.textContent = list.dataset.empty || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      placeInBox();
      if (accounts.length) highlight(0);
    }

    // In a scrolling box (the transactions table), a list that would hang below the box's
    // end opens above its field when there is room there: the box neither grows nor scrolls.
    function placeInBox() {
      var box = picker.closest(".table-wrap");
      list.classList.remove("picker-up");
      if (!box) return;
      var room = box.getBoundingClientRect();
      var at = list.getBoundingClientRect();
      if (at.bottom > room.bottom && at.top - room.top > at.height + input.offsetHeight) {
        list.classList.add("picker-up");
      }
    }

    function search() {
      var ask = ++asked;
      var url = picker.dataset.searchUrl + "&q=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (accounts) { if (ask === asked) show(accounts); })
        .catch(function () { /* the field still works as a plain account code */ });
    }

    input.addEventListener("input", function () {
      value.value = ""; // typed, not chosen: the server reads the code unless one is chosen
      active = -1; // the matches shown are for what was typed before: Enter takes none of them
      asked++; // and an answer still on its way for what was typed before is not shown
      input.removeAttribute("aria-activedescendant");
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("focus", function () { if (!value.value) search(); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && !list.hidden && options()[active]) {
        event.preventDefault();
        choose(options()[active]);
      } else if (event.key === "Enter" && !list.hidden && list.querySelector("[data-picker-empty]")) {
        // No account matches what was typed: say so and stay, rather than send the form.
        event.preventDefault();
        input.setAttribute("aria-invalid", "true");
      } else if (event.key === "Escape") {
        close();
      }
    });
    list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) { event.preventDefault(); choose(option); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function setupAll(root) {
    root.querySelectorAll("[data-account-picker]:not([data-picker-ready])").forEach(function (picker) {
      picker.setAttribute("data-picker-ready", "");
      setup(picker);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setupAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { setupAll(event.target); });
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
