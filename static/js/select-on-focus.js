// A read-only field marked data-select-on-focus selects its whole text when focused, so a
// one-time address (a new calendar feed) can be copied at once. A file, not an inline handler:
// the Content-Security-Policy allows no inline script.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.matches("[data-select-on-focus]")) field.select();
});
