// Skip links to each part of a long page, after base.html's "Skip to content": one per
// <section aria-labelledby> heading in <main> and per element marked data-skip-target (a form's
// fieldset: its legend names it). A page with fewer than two such parts keeps only "Skip to
// content". The link moves focus, not only the scroll position: to the heading of a section, to
// the first field of a fieldset, so the next Tab continues from there.
// Without JavaScript the page keeps its single skip link. A file, not inline script: the
// Content-Security-Policy allows no inline script.
(() => {
  const holder = document.querySelector("[data-skip-links]");
  if (!holder) return;
  const wording = holder.dataset.skipTo || "{section}";
  const FIELD =
    "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";
  const MINIMUM = 2; // one part is reached by "Skip to content" already

  const words = (element) => (element?.textContent || "").replace(/\s+/g, " ").trim();
  const shown = (element) => element.getClientRects().length > 0;

  // [{id, label}] in page order: the element each link goes to and the link's words.
  const parts = () => {
    const found = [];
    const marked = "main section[aria-labelledby], main [data-skip-target]";
    for (const part of document.querySelectorAll(marked)) {
      if (part.hasAttribute("data-skip-target")) {
        const label = part.dataset.skipTarget || words(part.querySelector("legend"));
        if (part.id && label && shown(part)) {
          found.push({ id: part.id, label });
        }
      } else {
        const heading = document.getElementById(part.getAttribute("aria-labelledby").split(" ")[0]);
        if (heading && shown(heading) && words(heading)) {
          found.push({ id: heading.id, label: words(heading) });
        }
      }
    }
    return found;
  };

  // Looked up at the click, not when the link was drawn: htmx may have redrawn the part since.
  const go = (event, part) => {
    event.preventDefault();
    const target = document.getElementById(part.id);
    if (!target) return;
    const field = target.matches("[data-skip-target]") && target.querySelector(FIELD);
    const focus = field || target;
    if (!focus.matches("a[href], button, input, select, textarea, [tabindex]")) {
      focus.setAttribute("tabindex", "-1");
    }
    if (location.hash !== `#${part.id}`) history.pushState(null, "", `#${part.id}`);
    focus.focus();
  };

  let drawn = "";
  const draw = () => {
    const found = parts();
    const key = found.map((part) => `${part.id}:${part.label}`).join("|");
    if (key === drawn) return; // htmx polls redraw often; leave the links alone if nothing moved
    drawn = key;
    for (const old of holder.querySelectorAll("[data-skip-built]")) old.remove();
    if (found.length < MINIMUM) return;
    for (const part of found) {
      const link = document.createElement("a");
      link.className = "skip";
      link.href = `#${part.id}`;
      link.dataset.skipBuilt = "";
      link.textContent = wording.replace("{section}", part.label);
      link.addEventListener("click", (event) => go(event, part));
      holder.append(link);
    }
  };

  draw();
  // Parts that htmx brings in later (a build's outcome) get their links too.
  document.addEventListener("htmx:afterSettle", draw);
})();
