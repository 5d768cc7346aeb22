/* The import wizard's behaviours (templates/imports/). No build step; loaded with `defer`.
 *
 * - Upload ([data-upload-form]): drag and drop onto [data-dropzone], then an XMLHttpRequest
 *   post with an upload progress bar. The view answers JSON: {"redirect": url} or
 *   {"error": message}. Without this script the form posts normally.
 * - Mapping ([data-mapping-form]): the new-field name and type show only for "New custom field…"
 *   (or while they hold an error, so a refused step always shows why).
 * - Options ([data-options-form]): the per-field policy table shows only when existing leads are
 *   updated (the tags input is a picker like any other: static/js/app.js).
 * - Confirm and cancel forms disable their button once submitted (the server guards double
 *   clicks too: this only spares a second request).
 * Progress polling needs no code here: htmx does it (hx-trigger="every 1s").
 */
(function () {
  "use strict";

  function formatBytes(n) {
    if (n >= 1024 * 1024) return (n / (1024 * 1024)).toFixed(1) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " bytes";
  }

  // --- Step 1: drop zone and upload progress ---------------------------------------------------
  function initUpload(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("[data-file-input]");
    var progress = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    var barWrap = form.querySelector("[data-upload-bar-wrap]");
    var status = form.querySelector("[data-upload-status]");
    var nameLabel = form.querySelector("[data-upload-name]");
    var errorBox = form.querySelector("[data-upload-error]");
    var errorText = form.querySelector("[data-upload-error-text]");
    var submit = form.querySelector("[data-upload-submit]");
    var busy = false;

    function showError(message) {
      errorText.textContent = message;
      errorBox.classList.remove("d-none");
      progress.classList.add("d-none");
      submit.disabled = false;
      busy = false;
    }

    function setProgress(percent, text) {
      bar.style.width = percent + "%";
      barWrap.setAttribute("aria-valuenow", String(percent));
      status.textContent = text;
    }

    function send() {
      if (busy || !input.files || !input.files.length) return;
      busy = true;
      var file = input.files[0];
      errorBox.classList.add("d-none");
      progress.classList.remove("d-none");
      nameLabel.textContent = file.name + " · " + formatBytes(file.size);
      submit.disabled = true;
      setProgress(0, "Uploading…");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.round((event.loaded / event.total) * 100);
        setProgress(percent, formatBytes(event.loaded) + " of " + formatBytes(event.total) + " (" + percent + "%)");
      });
      xhr.upload.addEventListener("load", function () {
        setProgress(100, "Uploaded. Reading the file…");
        bar.classList.add("progress-bar-striped", "progress-bar-animated");
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (data && data.redirect) { window.location.assign(data.redirect); return; }
        if (xhr.status === 413) { showError("The file is too large to upload here."); return; }
        showError((data && data.error) || "The upload failed (" + xhr.status + "). Try again.");
      });
      xhr.addEventListener("error", function () { showError("The upload was interrupted. Check your connection and try again."); });
      xhr.send(new FormData(form));
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.files || !input.files.length) { showError("Choose a file to upload."); return; }
      send();
    });
    input.addEventListener("change", function () { if (input.files.length) send(); });

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      input.files = files;
      send();
    });
  }

  // --- Step 2: new custom field inputs follow the target ----------------------------------------
  function initMapping(form) {
    form.querySelectorAll("tr[data-column]").forEach(function (row) {
      var select = row.querySelector("select[name^='target_']");
      var extra = row.querySelector("[data-new-field]");
      if (!select || !extra) return;
      function sync() { extra.classList.toggle("d-none", select.value !== "new_cf"); }
      select.addEventListener("change", sync);
      // A refused name or type stays in sight, whatever the column is set to.
      if (!extra.querySelector(".invalid-feedback")) sync();
    });
  }

  // --- Step 3: policy table ---------------------------------------------------------------------
  function initOptions(form) {
    var table = form.querySelector("[data-policy-table]");
    var radios = form.querySelectorAll("input[name='on_existing']");
    function sync() {
      var checked = form.querySelector("input[name='on_existing']:checked");
      if (table) table.classList.toggle("d-none", !!checked && checked.value === "skip");
    }
    radios.forEach(function (radio) { radio.addEventListener("change", sync); });
    sync();
  }

  function initOnce(form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type='submit']");
      if (button) window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  function init() {
    document.querySelectorAll("form[data-upload-form]").forEach(initUpload);
    document.querySelectorAll("form[data-mapping-form]").forEach(initMapping);
    document.querySelectorAll("form[data-options-form]").forEach(initOptions);
    document.querySelectorAll("form[data-confirm-form], form[data-cancel-form]").forEach(initOnce);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
