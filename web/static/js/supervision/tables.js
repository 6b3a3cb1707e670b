// Sortable tables: a click on a header with data-sort sorts by that column, a second click
// the other way round; aria-sort says which. The page keeps rendering its rows itself and
// asks sorter.compare() for the order.
export function sortable(table, columns, { key, dir = 1, onChange }) {
  const state = { key, dir };
  const heads = table.querySelectorAll("th[data-sort]");
  function mark() {
    heads.forEach((th) => {
      const on = th.dataset.sort === state.key;
      th.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
  }
  heads.forEach((th) => {
    th.tabIndex = 0;
    const choose = () => {
      if (state.key === th.dataset.sort) state.dir = -state.dir;
      else { state.key = th.dataset.sort; state.dir = 1; }
      mark();
      onChange();
    };
    th.addEventListener("click", choose);
    th.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); }
    });
  });
  mark();
  const collator = new Intl.Collator(document.documentElement.lang || undefined, { numeric: true, sensitivity: "base" });
  return {
    /** rows sorted by the chosen column (columns[key](row) gives its sort value). */
    sort(rows) {
      const value = columns[state.key];
      return [...rows].sort((a, b) => {
        const x = value(a);
        const y = value(b);
        const order = typeof x === "string" || typeof y === "string"
          ? collator.compare(String(x ?? ""), String(y ?? "")) : (x ?? Infinity) - (y ?? Infinity);
        return order * state.dir;
      });
    },
  };
}
