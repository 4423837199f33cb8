// The schedule grids (templates/scheduling/pictures/_grid.html, marked data-grid-keys) cost one
// Tab stop each instead of one per block: a roving tabindex keeps exactly one block in the Tab
// order, and the keys move between blocks:
//   ArrowLeft / ArrowRight  the previous / next block in time along the same lane
//   ArrowUp / ArrowDown     the block of the lane above / below that overlaps this one most
//   Home / End              the first / last block of the lane (with Ctrl: of the whole grid)
//   Escape                  closes an open block and returns to it
// Enter and Space still open a block (its <details>). Without JavaScript nothing here runs and
// every block stays in the Tab order, so the grid remains usable, only slower.
// A file, not inline script: the Content-Security-Policy allows no inline script.
(() => {
  // _day_body.html carries this script; a page showing two schedules must not bind twice.
  if (window.rocketshipGridKeys) return;
  window.rocketshipGridKeys = true;

  const GRID = "[data-grid-keys]";
  const BLOCK = "li.pblock > details > summary";

  const minutes = (hhmm) => {
    const [hours, mins] = (hhmm || "0:0").split(":").map(Number);
    return hours * 60 + mins;
  };
  const span = (summary) => {
    const block = summary.closest("li.pblock");
    return [minutes(block.dataset.start), minutes(block.dataset.end)];
  };

  // Lanes (cohorts or staff) that hold at least one block, each in time order.
  const lanes = (grid) =>
    Array.from(grid.querySelectorAll("ul.tl-blocks"))
      .map((lane) =>
        Array.from(lane.querySelectorAll(`:scope > ${BLOCK}`)).sort(
          (a, b) => span(a)[0] - span(b)[0],
        ),
      )
      .filter((lane) => lane.length > 0);

  // The block of `lane` that shares the most minutes with [start, end); when none overlaps, the
  // one whose middle is nearest. Moving down a column of the day should stay at that time.
  const closest = (lane, [start, end]) => {
    const middle = (start + end) / 2;
    let best = null;
    let bestScore = -Infinity;
    for (const summary of lane) {
      const [s, e] = span(summary);
      const overlap = Math.min(end, e) - Math.max(start, s);
      const score = overlap > 0 ? overlap : -Math.abs((s + e) / 2 - middle) - 1e6;
      if (score > bestScore) {
        best = summary;
        bestScore = score;
      }
    }
    return best;
  };

  const makeCurrent = (grid, summary) => {
    for (const other of grid.querySelectorAll(BLOCK)) {
      other.setAttribute("tabindex", other === summary ? "0" : "-1");
    }
  };

  // One block in the Tab order: the focused one, else the one that already was, else the first.
  const setUp = (grid) => {
    const blocks = Array.from(grid.querySelectorAll(BLOCK));
    if (blocks.length === 0) return;
    const focused = grid.contains(document.activeElement)
      ? document.activeElement.closest("li.pblock")?.querySelector(":scope > details > summary")
      : null;
    const current =
      (focused && blocks.includes(focused) && focused) ||
      blocks.find((summary) => summary.getAttribute("tabindex") === "0") ||
      lanes(grid)[0]?.[0] ||
      blocks[0];
    makeCurrent(grid, current);
    for (const help of document.querySelectorAll("[data-grid-keys-help]")) help.hidden = false;
  };

  const setUpAll = (root) => {
    const grids = root.matches?.(GRID) ? [root] : Array.from(root.querySelectorAll(GRID));
    const inside = root.closest?.(GRID);
    if (inside) grids.push(inside);
    grids.forEach(setUp);
  };

  const move = (grid, target) => {
    makeCurrent(grid, target);
    target.focus();
  };

  document.addEventListener("keydown", (event) => {
    const here = event.target;
    if (!(here instanceof Element)) return;
    const grid = here.closest(GRID);
    if (!grid) return;

    if (event.key === "Escape") {
      const details = here.closest("li.pblock details[open]");
      if (details) {
        details.open = false;
        details.querySelector("summary").focus();
        event.preventDefault();
      }
      return;
    }
    if (!here.matches(BLOCK) || event.altKey || event.metaKey || event.shiftKey) return;

    const rows = lanes(grid);
    const row = rows.findIndex((lane) => lane.includes(here));
    if (row < 0) return;
    const column = rows[row].indexOf(here);
    let target;
    switch (event.key) {
      case "ArrowRight":
        target = rows[row][column + 1];
        break;
      case "ArrowLeft":
        target = rows[row][column - 1];
        break;
      case "ArrowDown":
        target = rows[row + 1] && closest(rows[row + 1], span(here));
        break;
      case "ArrowUp":
        target = rows[row - 1] && closest(rows[row - 1], span(here));
        break;
      case "Home":
        target = event.ctrlKey ? rows[0][0] : rows[row][0];
        break;
      case "End":
        target = event.ctrlKey ? rows.at(-1).at(-1) : rows[row].at(-1);
        break;
      default:
        return;
    }
    if (event.ctrlKey && event.key.startsWith("Arrow")) return;
    // At a lane's edge the key does nothing rather than scroll the page under the focus.
    event.preventDefault();
    if (target) move(grid, target);
  });

  // A block reached by mouse (or by a screen reader's own navigation) becomes the Tab stop.
  document.addEventListener("focusin", (event) => {
    const here = event.target;
    if (here instanceof Element && here.matches(BLOCK)) {
      const grid = here.closest(GRID);
      if (grid) makeCurrent(grid, here);
    }
  });

  // Pinning redraws one block (htmx swaps its <li>): bring the new one into the roving order.
  document.addEventListener("htmx:load", (event) => {
    if (event.target instanceof Element) setUpAll(event.target);
  });

  setUpAll(document);
})();
