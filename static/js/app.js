/* PenguinLeads' small behaviours. No build step; loaded with `defer` after the vendored libraries.
 *
 * - Tom Select on every <select data-tom-select> (long pickers such as time zones), including
 *   selects that htmx swaps in later (htmx.onLoad runs for the page and for every swapped fragment).
 * - The CSRF token for htmx requests is not set here: <body hx-headers> in base.html carries it.
 */
(function () {
  "use strict";

  function enhanceSelects(root) {
    if (typeof window.TomSelect !== "function") return;
    var selects = [];
    if (root.matches && root.matches("select[data-tom-select]")) selects.push(root);
    if (root.querySelectorAll) {
      selects = selects.concat(Array.prototype.slice.call(root.querySelectorAll("select[data-tom-select]")));
    }
    selects.forEach(function (select) {
      if (select.tomselect) return; // already enhanced
      new window.TomSelect(select, {
        maxOptions: null, // time zones and owners are long lists: show them all
        allowEmptyOption: true,
        plugins: select.multiple ? ["remove_button"] : [],
      });
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(enhanceSelects);
  } else {
    document.addEventListener("DOMContentLoaded", function () { enhanceSelects(document); });
  }
})();
