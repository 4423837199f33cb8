// The rotation template editor's live check swaps only the error slots beside the fields (never
// the fields, so typing keeps its value and focus). This keeps each field's aria-invalid in step
// with its slot, so a screen reader hears "invalid" exactly while an error is shown.
document.addEventListener("htmx:afterSettle", () => {
  for (const slot of document.querySelectorAll(".template-form .field-error")) {
    const control = document.getElementById(slot.id.replace(/-error$/, ""));
    if (!control) continue;
    if (slot.querySelector("li")) control.setAttribute("aria-invalid", "true");
    else control.removeAttribute("aria-invalid");
  }
});
