// jpkitool ui: a Show/Hide button for each PIN field, and the error summary focused.
// The fields work without this script; it never reads or sends a value.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
  document.querySelectorAll("input[data-show]").forEach(function (field) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "pin-toggle";
    button.setAttribute("aria-controls", field.id);
    button.setAttribute("aria-pressed", "false");
    button.textContent = field.dataset.show;
    button.addEventListener("click", function () {
      var shown = field.type === "password";
      field.type = shown ? "text" : "password";
      button.textContent = shown ? field.dataset.hide : field.dataset.show;
      button.setAttribute("aria-pressed", shown ? "true" : "false");
    });
    field.insertAdjacentElement("afterend", button);
  });
});
