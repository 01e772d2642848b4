// Keyboard shortcuts and text selection for redaction. The pages work without this file.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" && !["checkbox", "radio", "submit", "button"].includes(el.type)
      || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function go(sel) { var a = document.querySelector(sel); if (a) { window.location.href = a.href; } }

  var form = document.getElementById("answer-form");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#answer-list tbody tr[data-href]"));
  var current = -1;
  function select(i) {
    if (!rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add("current");
    rows[current].scrollIntoView({ block: "nearest" });
  }
  function submitWith(op) {
    var b = form.querySelector('button[name="op"][value="' + op + '"]');
    if (b) { b.click(); }
  }

  // Character offsets of the selection inside the answer text (redacted marks included).
  var textBox = document.getElementById("answer-text");
  function selectionSpan() {
    var sel = window.getSelection();
    if (!textBox || !sel || sel.rangeCount === 0 || sel.isCollapsed) { return null; }
    var range = sel.getRangeAt(0);
    if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) { return null; }
    var pre = document.createRange();
    pre.selectNodeContents(textBox);
    pre.setEnd(range.startContainer, range.startOffset);
    var start = pre.toString().length;
    return [start, start + range.toString().length];
  }
  function fillRedaction() {
    var span = selectionSpan();
    if (!span) { return false; }
    document.getElementById("redact-start").value = span[0];
    document.getElementById("redact-end").value = span[1];
    document.getElementById("redact-text").value = "";
    return true;
  }
  if (textBox) { textBox.addEventListener("mouseup", fillRedaction); }

  // Type-to-filter: every code is reachable from the keyboard, not only the nine with a digit.
  var finder = document.getElementById("code-filter");
  var codeRows = Array.prototype.slice.call(document.querySelectorAll("#code-table tbody tr[data-code]"));
  var picked = 0;
  function matches() {
    return codeRows.filter(function (row) { return !row.hidden; });
  }
  function mark() {
    var shown = matches();
    codeRows.forEach(function (row) { row.classList.remove("current"); });
    if (finder.value && shown.length) { shown[Math.min(picked, shown.length - 1)].classList.add("current"); }
    document.getElementById("code-filter-status").textContent = finder.value
      ? (shown.length === 1 ? "1 code matches" : shown.length + " codes match") : "";
  }
  function filterCodes() {
    var words = finder.value.toLowerCase().split(/\s+/).filter(Boolean);
    codeRows.forEach(function (row) {
      var text = row.dataset.find;
      row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    picked = 0;
    mark();
  }
  function leaveFinder() {
    finder.value = "";
    filterCodes();
    finder.blur();
  }
  if (finder && codeRows.length) {
    document.getElementById("code-find").hidden = false;
    finder.addEventListener("input", filterCodes);
    finder.addEventListener("keydown", function (ev) {
      var shown = matches();
      if (ev.key === "Enter") {
        ev.preventDefault();
        if (finder.value && shown.length) {
          var box = shown[Math.min(picked, shown.length - 1)].querySelector('input[name="codes"]');
          box.checked = !box.checked;
        }
        leaveFinder();
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        leaveFinder();
      } else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        picked = Math.max(0, Math.min(shown.length - 1, picked + (ev.key === "ArrowDown" ? 1 : -1)));
        mark();
      }
    });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    var k = ev.key;
    if (rows.length) {
      if (k === "j") { select(current + 1); } else if (k === "k") { select(current - 1); }
      else if (k === "Enter" && current >= 0) { window.location.href = rows[current].dataset.href; }
      else if (k === "n") { go('a[rel="next"]'); } else if (k === "p") { go('a[rel="prev"]'); }
      else { return; }
      ev.preventDefault();
      return;
    }
    if (!form) { return; }
    if (k === "j") { go("#next"); }
    else if (k === "k") { go("#prev"); }
    else if (/^[1-9n]$/.test(k)) {
      var box = form.querySelector('input[name="codes"][data-key="' + k + '"]');
      if (box) { box.checked = !box.checked; } else { return; }
    }
    else if (k === "/" && finder && codeRows.length) { finder.focus(); }
    else if (k === "r") { document.getElementById("reviewed").checked = true; submitWith(document.getElementById("save-next") ? "save-next" : "save"); }
    else if (k === "q") { var q = document.getElementById("quote"); q.checked = !q.checked; }
    else if (k === "s") { submitWith("save"); }
    else if (k === "x") { if (fillRedaction()) { document.getElementById("redact-form").submit(); } }
    else { return; }
    ev.preventDefault();
  });
})();
