// report.html: sorts a table when its header is clicked. Inlined; needs nothing else.
// Numeric cells carry their value in data-v so "12,500" and "62.5 %" sort as numbers.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th.sort").forEach(function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th.sort").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var numeric = th.classList.contains("n");
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col];
        var d = numeric
          ? parseFloat(x.getAttribute("data-v") || "-1") - parseFloat(y.getAttribute("data-v") || "-1")
          : x.textContent.localeCompare(y.textContent);
        return asc ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
});
