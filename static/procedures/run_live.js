/* Live run page: step logs, states and progress, pushed over the run's websocket.
 *
 * DOM contract (templates/procedures/run_detail.html and its log panels, procedures/templatetags/runs.py log_panel):
 *   #run-live[data-ws][data-log-url][data-after]     the run; data-after = last seq rendered by the server
 *     [data-msg-lost] [data-msg-restored] [data-msg-refused]  translated banner texts
 *     [data-msg-progress] [data-msg-hits] [data-msg-running] [data-msg-seconds] [data-msg-minutes]
 *                                                    translated templates with {done} {total} {count} {time} {m} {s}
 *   [data-connection-banner]                         shown while the socket is down, and briefly once it is back
 *   [data-change-notice]                             shown when a changed region was kept because the reader was in it
 *   [data-page-url], [data-region=<name>]            regions read again from the page after a state change
 *   script#run-state-labels                          {"step": {value: label}, "run": {…}} in the reader's language
 *                                                    (a push serves every viewer, so it names states by value)
 *   [data-run-state]                                 the run's state badge (data-state = state value)
 *   [data-step-state=<step id>]                      a step's state badge (data-state = state value)
 *   [data-step-time=<step id>][data-started][data-finished]   a step's duration (ISO times from the server)
 *   progress[data-progress], [data-progress-text]    steps done / total
 *   per log panel, <key> = step id or "run" (run-wide lines):
 *     pre[data-step-log=<key>]                       the lines: span.line.<stream>[data-seq] > span.host + span.t
 *     [data-log-follow=<key>] checkbox               follow mode; scrolling up pauses it, back at the bottom resumes
 *     [data-log-search=<key>] input                  highlights matches in the lines shown, lists hits from the API
 *     [data-log-hits=<key>] list, [data-log-hit-count=<key>]    every matching line of the whole log (jump on click)
 *
 * Every line has a run-wide sequence number. The client keeps the last one it has shown (`last`); the server
 * sends only what follows it. A frame whose first line does not follow `last` means something went missing
 * on the way: the missing range is read from the log API before the frame is shown. All frames and log
 * fetches go through one queue, so nothing is shown twice or out of order. A panel keeps its last KEEP lines
 * while following; earlier lines load as the reader scrolls up, so nothing is cut off and a very long log
 * never fills the page.
 */
(function () {
  "use strict";
  const root = document.getElementById("run-live");
  if (!root) return;
  const logUrl = root.dataset.logUrl;
  const banner = document.querySelector("[data-connection-banner]");
  const notice = document.querySelector("[data-change-notice]");
  const PAGE = 500; // lines per HTTP page
  const KEEP = 5000; // lines a followed panel keeps; older ones reload on scroll-up
  const HOLD = 50000; // lines a paused panel may hold before it stops growing (scrolling down or Follow reloads)
  const DONE = new Set(["succeeded", "skipped", "confirmed"]);
  const panels = new Map();
  let last = parseInt(root.dataset.after || "0", 10);
  let socket = null;
  let lost = false;
  let retry = 500;
  let hideTimer = null;
  let queue = Promise.resolve();
  const labels = readLabels();
  root.dataset.filled = "0"; // lines read over HTTP to fill holes in the pushed sequence

  function readLabels() {
    const script = document.getElementById("run-state-labels");
    try {
      return Object.assign({ step: {}, run: {} }, script ? JSON.parse(script.textContent) : {});
    } catch (error) {
      return { step: {}, run: {} };
    }
  }

  const fmt = (template, values) => (template || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  function enqueue(work) {
    queue = queue.then(work).catch((error) => console.error("run log:", error));
    return queue;
  }

  /* A frame is a JSON array of messages; log lines come as one "lines" message per run of lines sharing their
   * step, host and stream: {type: "lines", seq, step, host, stream, at, dt?, text: [...], cont?, esc?} (the
   * lines are numbered seq, seq + 1, …; cont and esc list the indexes of continuation and escaped lines).
   * expand() makes one {type: "log", seq, step, host, stream, text, cont, esc} per line. */
  function expand(messages) {
    const out = [];
    for (const m of messages) {
      if (m.type !== "lines") {
        out.push(m);
        continue;
      }
      const cont = new Set(m.cont || []);
      const esc = new Set(m.esc || []);
      for (let i = 0; i < m.text.length; i++) {
        out.push({ type: "log", seq: m.seq + i, step: m.step, host: m.host, stream: m.stream, text: m.text[i],
                   cont: cont.has(i), esc: esc.has(i) }); // prettier-ignore
      }
    }
    return out;
  }

  async function fetchJson(params) {
    const response = await fetch(logUrl + "?" + new URLSearchParams(params), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok || response.redirected) throw new Error("log API answered " + response.status);
    const data = await response.json();
    return { messages: expand(data.lines || []), last_seq: data.last_seq };
  }

  /* Lines */

  function marked(text, query) {
    if (!query) return document.createTextNode(text);
    const fragment = document.createDocumentFragment();
    const lower = text.toLowerCase();
    const q = query.toLowerCase();
    let i = 0;
    let j;
    while ((j = lower.indexOf(q, i)) !== -1) {
      if (j > i) fragment.append(text.slice(i, j));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(j, j + q.length);
      fragment.append(mark);
      i = j + q.length;
    }
    if (i < text.length) fragment.append(text.slice(i));
    return fragment;
  }

  function lineElement(m, query) {
    const line = document.createElement("span");
    line.className = "line " + m.stream + (m.cont ? " cont" : "") + (m.esc ? " esc" : "");
    line.dataset.seq = m.seq;
    if (m.host) {
      const host = document.createElement("span");
      host.className = "host";
      host.textContent = m.host;
      line.append(host, " ");
    }
    const text = document.createElement("span");
    text.className = "t";
    text.append(marked(m.text, query));
    line.append(text);
    return line;
  }

  function linesFragment(messages, query) {
    const fragment = document.createDocumentFragment();
    for (const m of messages) fragment.append(lineElement(m, query));
    return fragment;
  }

  /* Panels */

  const stepParam = (p) => p.key; // a step id, or "run": the lines of no step
  const following = (p) => !p.follow || p.follow.checked;
  const firstSeq = (p) => (p.el.firstElementChild ? parseInt(p.el.firstElementChild.dataset.seq, 10) : null);
  const lastSeq = (p) => (p.el.lastElementChild ? parseInt(p.el.lastElementChild.dataset.seq, 10) : null);
  const atBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 8;

  function panel(step) {
    const key = step === null || step === undefined ? "run" : String(step);
    if (panels.has(key)) return panels.get(key);
    const el = document.querySelector(`[data-step-log="${key}"]`);
    if (!el) return null;
    const p = {
      key,
      el,
      box: el.closest("[data-log-panel]") || el,
      follow: document.querySelector(`[data-log-follow="${key}"]`),
      query: "",
      detached: false, // showing an older part of the log: live lines wait in the database
      atStart: false,
      loading: false,
      autoPaused: false,
      lastTop: 0,
    };
    el.addEventListener("scroll", () => onScroll(p));
    if (p.follow) {
      p.follow.addEventListener("change", () => {
        p.autoPaused = false;
        markPaused(p);
        if (p.follow.checked) resume(p);
      });
    }
    panels.set(key, p);
    return p;
  }

  function markPaused(p) {
    p.box.classList.toggle("paused", !following(p));
  }

  function toBottom(p) {
    p.el.scrollTop = p.el.scrollHeight;
    p.lastTop = p.el.scrollTop;
  }

  function pause(p, auto) {
    if (p.follow && p.follow.checked) {
      p.follow.checked = false;
      p.autoPaused = !!auto;
    }
    markPaused(p);
  }

  function resume(p) {
    if (p.detached) enqueue(() => loadTail(p));
    else toBottom(p);
  }

  function onScroll(p) {
    const el = p.el;
    const top = el.scrollTop;
    if (atBottom(el)) {
      if (p.detached) enqueue(() => loadLater(p));
      else if (p.autoPaused && p.follow && !p.follow.checked) {
        p.follow.checked = true; // the reader scrolled back down: follow again
        p.autoPaused = false;
        markPaused(p);
      }
    } else if (top < p.lastTop - 2 && following(p)) {
      pause(p, true); // the reader scrolled up: stop pulling the view down
    }
    if (top < 40) loadEarlier(p);
    p.lastTop = top;
  }

  function trimHead(p, keep) {
    let extra = p.el.childElementCount - keep;
    if (extra <= 0) return;
    while (extra-- > 0) p.el.firstElementChild.remove();
    p.atStart = false;
  }

  function append(p, messages) {
    if (!messages.length || p.detached) return;
    p.el.append(linesFragment(messages, p.query));
    if (following(p)) {
      trimHead(p, KEEP);
      toBottom(p);
    } else if (p.el.childElementCount > HOLD) {
      p.detached = true; // a paused panel stops growing; scrolling to its end or Follow reads on
    }
  }

  // Queued: `last` does not move while these run, so they neither miss nor repeat a line.
  async function loadTail(p) {
    const data = await fetchJson({ step: stepParam(p), before: 0, limit: PAGE });
    const mine = data.messages.filter((m) => m.seq <= last);
    p.el.replaceChildren(linesFragment(mine, p.query));
    p.detached = false;
    p.atStart = data.messages.length < PAGE;
    if (following(p)) toBottom(p);
  }

  async function loadLater(p) {
    if (!p.detached) return;
    const data = await fetchJson({ step: stepParam(p), after: lastSeq(p) || 0, limit: PAGE });
    const mine = data.messages.filter((m) => m.seq <= last);
    p.el.append(linesFragment(mine, p.query));
    if (data.messages.length < PAGE || mine.length < data.messages.length) p.detached = false; // caught up
    if (p.el.childElementCount > HOLD) trimHead(p, HOLD);
  }

  async function loadEarlier(p) {
    const first = firstSeq(p);
    if (p.loading || p.atStart || first === null) return;
    p.loading = true;
    try {
      const data = await fetchJson({ step: stepParam(p), before: first, limit: PAGE });
      if (data.messages.length) {
        const height = p.el.scrollHeight;
        const top = p.el.scrollTop;
        p.el.prepend(linesFragment(data.messages, p.query));
        p.el.scrollTop = top + (p.el.scrollHeight - height); // keep the line the reader was looking at
        p.lastTop = p.el.scrollTop;
      }
      if (data.messages.length < PAGE) p.atStart = true;
      if (p.el.childElementCount > HOLD) {
        while (p.el.childElementCount > HOLD) p.el.lastElementChild.remove();
        p.detached = true;
      }
    } catch (error) {
      console.error("run log:", error);
    } finally {
      p.loading = false;
    }
  }

  async function jump(p, seq) {
    pause(p, false);
    let line = p.el.querySelector(`[data-seq="${seq}"]`);
    if (!line) {
      await enqueue(async () => {
        const data = await fetchJson({ step: stepParam(p), after: Math.max(0, seq - 100), limit: PAGE });
        const mine = data.messages.filter((m) => m.seq <= last);
        p.el.replaceChildren(linesFragment(mine, p.query));
        p.detached = data.messages.length >= PAGE;
        p.atStart = seq <= 100;
      });
      line = p.el.querySelector(`[data-seq="${seq}"]`);
    }
    if (!line) return;
    line.scrollIntoView({ block: "center" });
    p.lastTop = p.el.scrollTop;
    line.classList.add("flash");
    setTimeout(() => line.classList.remove("flash"), 2000);
  }

  /* Search */

  function highlight(p) {
    const q = p.query.toLowerCase();
    for (const t of p.el.querySelectorAll(".t")) {
      const raw = t.textContent;
      if (!t.firstElementChild && !(q && raw.toLowerCase().includes(q))) continue;
      t.replaceChildren(marked(raw, p.query));
    }
  }

  document.querySelectorAll("[data-log-search]").forEach((input) => {
    const key = input.dataset.logSearch;
    const p = panel(key === "run" ? null : key);
    const hits = document.querySelector(`[data-log-hits="${key}"]`);
    const count = document.querySelector(`[data-log-hit-count="${key}"]`);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = input.value.trim();
        if (p) {
          p.query = query;
          highlight(p);
        }
        if (hits) {
          hits.replaceChildren();
          hits.hidden = !query;
        }
        if (count) count.textContent = "";
        if (!query) return;
        const data = await fetchJson({ step: key, q: query, limit: 200 });
        if (input.value.trim() !== query) return; // typed on meanwhile
        if (count) count.textContent = fmt(root.dataset.msgHits, { count: data.messages.length + (data.messages.length >= 200 ? "+" : "") });
        if (!hits) return;
        for (const m of data.messages) {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "hit";
          button.dataset.seq = m.seq;
          button.append(`#${m.seq} ${m.host ? m.host + " " : ""}`, marked(m.text, query));
          button.addEventListener("click", () => p && jump(p, m.seq));
          item.append(button);
          hits.append(item);
        }
      }, 250);
    });
  });

  /* States, times, progress */

  function setState(el, state, label) {
    el.dataset.state = state;
    if (label !== undefined) el.textContent = label;
    el.className = el.className.replace(/\bstate-\S+/g, "").trim() + " state-" + state;
  }

  function duration(seconds) {
    if (seconds < 60) return fmt(root.dataset.msgSeconds || "{s} s", { s: seconds.toFixed(1) });
    const s = String(Math.floor(seconds % 60)).padStart(2, "0");
    return fmt(root.dataset.msgMinutes || "{m} min {s} s", { m: Math.floor(seconds / 60), s });
  }

  function ticks() {
    document.querySelectorAll("[data-step-time]").forEach((el) => {
      const started = Date.parse(el.dataset.started || "");
      const finished = Date.parse(el.dataset.finished || "");
      const badge = document.querySelector(`[data-step-state="${el.dataset.stepTime}"]`);
      if (!isNaN(started) && !isNaN(finished)) el.textContent = duration(Math.max(0, (finished - started) / 1000));
      else if (!isNaN(started) && badge && badge.dataset.state === "running")
        el.textContent = fmt(root.dataset.msgRunning, { time: duration(Math.max(0, (Date.now() - started) / 1000)) });
      else el.textContent = "";
    });
  }

  function progress() {
    const states = [...document.querySelectorAll("[data-step-state]")].map((el) => el.dataset.state);
    const done = states.filter((s) => DONE.has(s)).length;
    const bar = document.querySelector("progress[data-progress]");
    if (bar) {
      bar.max = states.length;
      bar.value = done;
    }
    const label = document.querySelector("[data-progress-text]");
    if (label) label.textContent = fmt(root.dataset.msgProgress, { done, total: states.length });
  }

  /* Page regions: the buttons, forms and texts that depend on the run's state ([data-region]), read again from
   * the server after a change and swapped in place; the log panels and the reader's scroll position stay. A region
   * holding the reader's focus or a half-filled form is left as it is, and the notice says so. */

  let refreshing = false;
  let refreshAgain = false;

  function regionIsBusy(region) {
    const active = document.activeElement;
    if (active && region.contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName)) return true;
    const filled = (el) => (el.type === "checkbox" ? el.checked : el.type !== "hidden" && el.value !== "");
    return [...region.querySelectorAll("input, textarea")].some(filled); // a half-filled form stays
  }

  async function refreshRegions() {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    try {
      const response = await fetch(root.dataset.pageUrl || window.location.pathname, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok || response.redirected) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      let kept = false;
      fresh.querySelectorAll("[data-region]").forEach((incoming) => {
        const current = document.querySelector(`[data-region="${incoming.dataset.region}"]`);
        if (!current) return;
        if (regionIsBusy(current)) {
          kept = true;
          return;
        }
        current.replaceWith(document.importNode(incoming, true));
      });
      if (notice) notice.hidden = !kept;
      root.dataset.refreshed = String(parseInt(root.dataset.refreshed || "0", 10) + 1);
      progress();
    } catch (error) {
      console.error("run page:", error);
    } finally {
      refreshing = false;
      if (refreshAgain) {
        refreshAgain = false;
        changed();
      }
    }
  }

  function changed() {
    // At once, not on a timer: a page in a background tab has its timers slowed to a minute, its socket not.
    // Changes that arrive while a read is under way are gathered into one more read (refreshAgain).
    refreshRegions();
  }

  function state(m) {
    if (m.type === "step") {
      const badges = document.querySelectorAll(`[data-step-state="${m.step}"]`);
      const before = badges.length ? badges[0].dataset.state : null;
      badges.forEach((el) => setState(el, m.state, labels.step[m.state] || m.state_label));
      const time = document.querySelector(`[data-step-time="${m.step}"]`);
      if (time) {
        time.dataset.started = m.started_at || "";
        time.dataset.finished = m.finished_at || "";
      }
      ticks();
      progress();
      if (before !== m.state) changed();
    } else if (m.type === "run") {
      const el = document.querySelector("[data-run-state]");
      if (!el || el.dataset.state === m.state) return;
      setState(el, m.state, labels.run[m.state] || m.state_label);
      changed();
    }
  }

  /* The socket */

  function show(messages) {
    const byPanel = new Map();
    for (const m of messages) {
      if (m.type !== "log" || m.seq <= last) continue;
      last = m.seq;
      const p = panel(m.step);
      if (!p) continue;
      if (!byPanel.has(p)) byPanel.set(p, []);
      byPanel.get(p).push(m);
    }
    for (const [p, lines] of byPanel) append(p, lines);
  }

  async function fillGap(upto) {
    while (last < upto) {
      const data = await fetchJson({ after: last, limit: Math.min(5000, upto - last) });
      const missing = data.messages.filter((m) => m.seq <= upto);
      if (!missing.length) return; // nothing stored there: no line is missing after all
      root.dataset.filled = String(parseInt(root.dataset.filled, 10) + missing.length);
      show(missing);
    }
  }

  async function onFrame(text) {
    const messages = expand(JSON.parse(text));
    const logs = messages.filter((m) => m.type === "log" && m.seq > last);
    if (logs.length && logs[0].seq > last + 1) await fillGap(logs[0].seq - 1); // a hole: the database has it
    show(logs);
    messages.filter((m) => m.type !== "log").forEach(state);
  }

  function connectionLost() {
    lost = true;
    clearTimeout(hideTimer);
    if (!banner) return;
    banner.hidden = false;
    banner.className = "banner bad";
    banner.textContent = root.dataset.msgLost;
  }

  function connectionBack() {
    retry = 500;
    if (!lost) return;
    lost = false;
    if (!banner) return;
    banner.className = "banner ok";
    banner.textContent = root.dataset.msgRestored;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      banner.hidden = true;
    }, 3000);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + window.location.host + root.dataset.ws + "?after=" + last);
    socket = ws;
    let opened = false;
    ws.onmessage = (event) => enqueue(() => onFrame(event.data));
    ws.onopen = () => {
      opened = true;
      connectionBack();
    };
    ws.onclose = async (event) => {
      if (socket !== ws) return;
      // A refused handshake reaches a browser as 1006 before any open: ask the log API whether we still may.
      if (event.code === 4401 || event.code === 4403 || (!opened && (await refused()))) {
        accessLost(); // logged out, or the role was taken away: reconnecting will not help
        return;
      }
      connectionLost();
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  async function refused() {
    try {
      const response = await fetch(logUrl + "?" + new URLSearchParams({ after: last, limit: 1 }), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      return response.status === 403 || response.status === 404;
    } catch (error) {
      return false; // the server is unreachable: keep retrying
    }
  }

  function accessLost() {
    lost = true;
    clearTimeout(hideTimer);
    if (!banner) return;
    banner.hidden = false;
    banner.className = "banner bad";
    banner.textContent = root.dataset.msgRefused || root.dataset.msgLost;
  }

  /* Start: the server rendered the tail of the run; short panels get their step's own tail. */

  document.querySelectorAll("[data-step-log]").forEach((el) => {
    const p = panel(el.dataset.stepLog === "run" ? null : el.dataset.stepLog);
    toBottom(p);
    if (el.childElementCount < PAGE && el.dataset.stepStateNow !== "pending") enqueue(() => loadTail(p));
  });
  ticks();
  progress();
  setInterval(ticks, 1000);
  connect();
})();
