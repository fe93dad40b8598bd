// Every text a person can see on the page, with where it is: text nodes, the values of buttons, placeholders,
// titles, labels, the options of lists, every <details> opened. What is verbatim (commands, log lines, file
// contents, what a template marks data-verbatim) is left out. Used by tests/browser/test_one_language.py.
() => {
  const VERBATIM = "code, pre, kbd, samp, textarea, script, style, noscript, template, [data-verbatim]";
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      const id = e.getAttribute("data-testid") || e.id;
      parts.unshift(e.tagName.toLowerCase() + (id ? `[${id}]` : e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : ""));
    }
    return parts.join(" > ");
  };
  const seen = (el) => (el.closest("select") || el).checkVisibility({ visibilityProperty: true });
  const found = [{ text: document.title, where: "title" }];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, text = node.nodeValue.trim();
    if (!text || !el || el.closest(VERBATIM) || !seen(el)) continue;
    found.push({ text, where: where(el) });
  }
  for (const el of document.body.querySelectorAll("[placeholder], [title], [aria-label], [alt], input[type=submit], input[type=button]")) {
    if (el.closest(VERBATIM) || !seen(el)) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt", "value"]) {
      const text = (name === "value" ? (el.type === "submit" || el.type === "button") && el.value : el.getAttribute(name)) || "";
      if (text.trim()) found.push({ text: text.trim(), where: where(el) + "@" + name });
    }
  }
  return found;
}
