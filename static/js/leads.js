/* Lead selection and the bulk bar of the leads table (templates/leads/includes/_lead_table.html).
 *
 * The selection is one of:
 *   - "ids": leads ticked one by one (kept while paging through the same filter);
 *   - "all": every lead matching the filter ([data-lead-table] data-query), minus the
 *     leads unticked afterwards (excluded).
 * It resets when the filter changes (a new data-query), since "all matching" would
 * then mean other leads. Sorting and paging keep it.
 *
 * On submit, every form[data-bulk-form] gets the selection as hidden inputs, the way
 * LeadSelection.from_post reads it: ids=…, or select_all=1 + query=… + excluded=…;
 * plus return_to (the current address). Forms marked data-return-to-form get return_to only.
 */
(function () {
  "use strict";

  var state = { mode: "ids", ids: new Set(), excluded: new Set(), query: null };

  function table() { return document.querySelector("[data-lead-table]"); }
  function rowChecks() { return Array.prototype.slice.call(document.querySelectorAll("[data-row-check]")); }
  function fmt(n) { return n.toLocaleString("en-US"); }

  function reset() {
    state.mode = "ids";
    state.ids = new Set();
    state.excluded = new Set();
  }

  function isSelected(id) {
    return state.mode === "all" ? !state.excluded.has(id) : state.ids.has(id);
  }

  function plural(n, one, many) { return n === 1 ? one : many; }

  // The selection in words: for the bulk bar, the dialogs and the banner.
  function describe() {
    var t = table();
    if (state.mode === "all" && t) {
      var exact = t.dataset.countExact === "1";
      var total = parseInt(t.dataset.countValue, 10) || 0;
      var out = fmt(state.excluded.size);
      if (!exact) {
        var but = state.excluded.size ? ", except " + out : "";
        return {
          any: true,
          bar: "All " + t.dataset.count + " matching leads selected" + but,
          summary: "Applies to all " + t.dataset.count + " leads matching the filter" + but + ".",
          banner: "All " + t.dataset.count + " leads matching this filter are selected" + but + ".",
        };
      }
      var n = Math.max(0, total - state.excluded.size);
      var all = state.excluded.size ? "" : "All ";
      return {
        any: n > 0,
        bar: all + fmt(n) + " matching " + plural(n, "lead", "leads") + " selected",
        summary: "Applies to " + all.toLowerCase() + fmt(n) + " " + plural(n, "lead", "leads") + " matching the filter.",
        banner: state.excluded.size
          ? fmt(n) + " of " + fmt(total) + " leads matching this filter are selected."
          : "All " + fmt(n) + " leads matching this filter are selected.",
      };
    }
    var k = state.ids.size;
    return {
      any: k > 0,
      bar: fmt(k) + " " + plural(k, "lead", "leads") + " selected",
      summary: "Applies to " + fmt(k) + " selected " + plural(k, "lead", "leads") + ".",
      banner: "",
    };
  }

  function render() {
    var t = table();
    var checks = rowChecks();
    checks.forEach(function (box) {
      box.checked = isSelected(box.value);
      var row = box.closest("tr");
      if (row) row.classList.toggle("pl-selected", box.checked);
    });
    var pageCheck = document.querySelector("[data-page-check]");
    var ticked = checks.filter(function (b) { return b.checked; }).length;
    if (pageCheck) {
      pageCheck.checked = checks.length > 0 && ticked === checks.length;
      pageCheck.indeterminate = ticked > 0 && ticked < checks.length;
    }

    var words = describe();
    var bar = document.querySelector("[data-bulk-bar]");
    if (bar) bar.classList.toggle("d-none", !words.any);
    document.body.classList.toggle("pl-has-selection", words.any);
    document.querySelectorAll("[data-selection-count]").forEach(function (el) { el.textContent = words.bar; });
    document.querySelectorAll("[data-selection-summary]").forEach(function (el) { el.textContent = words.summary; });

    // The banner: offer "select all matching" once the whole page is ticked.
    var banner = document.querySelector("[data-selection-banner]");
    if (!banner || !t) return;
    var text = banner.querySelector("[data-banner-text]");
    var selectAll = banner.querySelector("[data-select-all]");
    if (state.mode === "all") {
      banner.classList.remove("d-none");
      selectAll.classList.add("d-none");
      text.textContent = words.banner;
    } else if (t.dataset.hasMore === "1" && checks.length && ticked === checks.length) {
      banner.classList.remove("d-none");
      selectAll.classList.remove("d-none");
      text.textContent = "All " + fmt(checks.length) + " leads on this page are selected.";
    } else {
      banner.classList.add("d-none");
    }
  }

  // A new table arrived (first load, filter, page, sort): keep or drop the selection.
  function onTable() {
    var t = table();
    if (!t) return;
    if (state.query !== null && state.query !== t.dataset.query) reset();
    state.query = t.dataset.query;
    render();
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches("[data-row-check]")) {
      var set = state.mode === "all" ? state.excluded : state.ids;
      var add = state.mode === "all" ? !box.checked : box.checked;
      if (add) set.add(box.value); else set.delete(box.value);
      render();
    } else if (box.matches("[data-page-check]")) {
      rowChecks().forEach(function (b) {
        if (state.mode === "all") {
          if (box.checked) state.excluded.delete(b.value); else state.excluded.add(b.value);
        } else if (box.checked) {
          state.ids.add(b.value);
        } else {
          state.ids.delete(b.value);
        }
      });
      render();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-select-all]")) {
      state.mode = "all";
      state.ids = new Set();
      state.excluded = new Set();
      render();
    } else if (event.target.closest("[data-clear-selection]")) {
      reset();
      render();
    }
  });

  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    input.setAttribute("data-selection-input", "");
    form.appendChild(input);
  }

  function currentAddress() { return window.location.pathname + window.location.search; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-return-to-form]")) {
      var field = form.querySelector('input[name="return_to"]');
      if (field) field.value = currentAddress();
      return;
    }
    if (!form.matches("[data-bulk-form]")) return;
    form.querySelectorAll("[data-selection-input]").forEach(function (el) { el.remove(); });
    if (state.mode === "all") {
      hidden(form, "select_all", "1");
      hidden(form, "query", state.query || "");
      // Ids go comma-separated in one field: a field each would pass the server's field limit.
      hidden(form, "excluded", Array.from(state.excluded).join(","));
    } else {
      hidden(form, "ids", Array.from(state.ids).join(","));
    }
    hidden(form, "return_to", currentAddress());
  });

  if (window.htmx) {
    window.htmx.onLoad(function (root) {
      if (root === document.body || (root.querySelector && root.querySelector("[data-lead-table]")) ||
          (root.matches && root.matches("[data-lead-table]"))) {
        onTable();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", onTable);
})();
