/* The export form (templates/exports/exportjob_form.html).
 *
 * - "All" / "None" buttons tick or clear the column checkboxes of their group
 *   ([data-check-all=<group>] / [data-check-none=<group>]; "columns" means every group).
 * - "Sendable leads only" switches the count on the submit button and the note about
 *   background exports between the two capped counts the page was rendered with.
 * Without JavaScript the form works the same; only these conveniences are missing.
 */
(function () {
  "use strict";

  function boxes(form, group) {
    var scope = group === "columns" ? form : form.querySelector('[data-column-group="' + group + '"]');
    return scope ? scope.querySelectorAll('input[type="checkbox"][name="columns"]') : [];
  }

  function setup(form) {
    form.addEventListener("click", function (event) {
      var all = event.target.closest("[data-check-all]");
      var none = event.target.closest("[data-check-none]");
      if (!all && !none) return;
      var group = (all || none).getAttribute(all ? "data-check-all" : "data-check-none");
      boxes(form, group).forEach(function (box) { box.checked = !!all; });
    });

    var toggle = form.querySelector("[data-sendable-toggle]");
    var label = form.querySelector("[data-export-label]");
    var count = form.querySelector("[data-export-count]");
    var noun = form.querySelector("[data-export-noun]");
    var note = form.querySelector("[data-background-note]");
    if (!toggle || !label) return;
    function update() {
      var sendable = toggle.checked;
      var text = sendable ? form.dataset.sendable : form.dataset.count;
      var value = parseInt(sendable ? form.dataset.sendableValue : form.dataset.countValue, 10) || 0;
      var leads = value === 1 ? "lead" : "leads";
      label.textContent = "Export " + text + " " + leads;
      if (count) count.textContent = text;
      if (noun) noun.textContent = leads;
      // An exact count is at most the inline limit: the file downloads at once.
      var exact = (sendable ? form.dataset.sendableExact : form.dataset.countExact) === "1";
      if (note) note.classList.toggle("d-none", exact);
    }
    toggle.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-export-form]").forEach(setup);
  });
})();
