/* PenguinLeads' site-wide behaviours. No build step; loaded with `defer` after the vendored libraries.
 *
 * - Pickers: Tom Select on every element marked data-tom-select, in the page and in every
 *   fragment htmx swaps in later (htmx.onLoad runs for both). The attribute's value is the kind:
 *     ""      a searchable <select> (time zones, owners, lists); a multiple one gets remove buttons;
 *             in every multiple picker a choice clears the text typed to find it.
 *     "tags"  a tag picker: a multiple <select> of existing tags, or an <input> of comma-separated
 *             tag names, where Enter adds what was typed. With data-tom-create it offers to
 *             create the name typed, as data-tom-create's value + the name (the lead form's
 *             "new:" tells new names from tag ids); data-tom-options is the id of a json_script
 *             element listing the names an <input> offers.
 * - data-shown-when="<id of a select>" with data-shown-values="a b": the element shows only
 *   while that select holds one of the values.
 * - The CSRF token for htmx requests is not set here: <body hx-headers> in base.html carries it.
 */
(function () {
  "use strict";

  // A tag name: not blank, at most 64 characters, none of the separators files use.
  function isTagName(input) {
    return !/[,;|]/.test(input) && input.trim().length > 0 && input.length <= 64;
  }

  // After a choice in a picker of several values, what was typed to find it goes: Tom Select
  // keeps it, and the next name typed would be glued onto it.
  function clearTypedText() {
    this.setTextboxValue("");
    this.refreshOptions(false);
  }

  function tagSettings(element) {
    var typed = element.tagName === "INPUT";
    var settings = {
      plugins: ["remove_button"],
      onItemAdd: clearTypedText,
      persist: false,
      maxOptions: typed ? 200 : null,
      createFilter: isTagName,
      create: false,
      render: {
        option_create: function (data, escape) {
          return '<div class="create">' + (typed ? "Add" : "Create") + " tag <strong>" + escape(data.input) + "</strong>…</div>";
        },
        no_results: function () {
          return '<div class="no-results">' + (typed ? "Type a tag name." : "No tag found.") + "</div>";
        },
      },
    };
    if (element.hasAttribute("data-tom-create")) {
      var prefix = element.getAttribute("data-tom-create");
      settings.create = function (input) { return { value: prefix + input.trim(), text: input.trim() }; };
    }
    if (typed) {
      settings.delimiter = ",";
      settings.addPrecedence = true; // Enter adds what was typed, not the first partial match
      settings.selectOnTab = true;
      var names = document.getElementById(element.getAttribute("data-tom-options") || "");
      var known = names ? JSON.parse(names.textContent) : [];
      settings.options = known.map(function (name) { return { value: name, text: name }; });
    }
    return settings;
  }

  function pickerSettings(element) {
    if (element.getAttribute("data-tom-select") === "tags") return tagSettings(element);
    return {
      maxOptions: null, // time zones and owners are long lists: show them all
      allowEmptyOption: true,
      plugins: element.multiple ? ["remove_button"] : [],
      onItemAdd: element.multiple ? clearTypedText : null,
    };
  }

  function within(root, selector) {
    var found = [];
    if (root.matches && root.matches(selector)) found.push(root);
    if (root.querySelectorAll) found = found.concat(Array.prototype.slice.call(root.querySelectorAll(selector)));
    return found;
  }

  function enhancePickers(root) {
    if (typeof window.TomSelect !== "function") return;
    within(root, "[data-tom-select]").forEach(function (element) {
      if (element.tomselect) return; // already enhanced
      new window.TomSelect(element, pickerSettings(element));
    });
  }

  function followChoices(root) {
    within(root, "[data-shown-when]").forEach(function (element) {
      var select = document.getElementById(element.getAttribute("data-shown-when"));
      if (!select) return;
      var values = (element.getAttribute("data-shown-values") || "").split(/\s+/);
      function sync() { element.hidden = values.indexOf(select.value) === -1; }
      select.addEventListener("change", sync);
      sync();
    });
  }

  function enhance(root) {
    enhancePickers(root);
    followChoices(root);
  }

  if (window.htmx) {
    window.htmx.onLoad(enhance);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
