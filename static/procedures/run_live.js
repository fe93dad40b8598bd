/* Live run page: step logs, states and progress, pushed over the run's websocket.
 *
 * DOM contract (templates/procedures/run_detail.html):
 *   #run-live[data-ws][data-log-url][data-after]   the run; data-after = last seq rendered by the server
 *     [data-msg-lost] [data-msg-restored] [data-msg-changed]      translated banner texts
 *   [data-connection-banner]                       shown while the socket is down, and when it is back
 *   [data-step-log=<step id>]                      one log panel per step (a <pre>), "run" for run-wide lines
 *   [data-step-state=<step id>]                    the step's state badge
 *   [data-step-time=<step id>]                     the step's duration
 *   [data-run-state]                               the run's state badge
 *   progress[data-progress]                        steps done / total
 *   [data-log-follow=<step id>] checkbox, [data-log-search=<step id>] input, [data-log-hits=<step id>] list
 *
 * Every line has a run-wide sequence number. The client keeps the last one it has shown; the server sends
 * only what follows it, and a hole (which the server should never leave) is filled over HTTP. The tail of
 * each step is loaded first; earlier lines load as the reader scrolls up, so no line is ever cut off.
 */
(function () {
  "use strict";
  const root = document.getElementById("run-live");
  if (!root) return;
  const logUrl = root.dataset.logUrl;
  const banner = document.querySelector("[data-connection-banner]");
  const PAGE = 500, KEEP_CHUNKS = 60;
  const DONE = new Set(["succeeded", "skipped", "confirmed"]);
  const NEEDS_PERSON = new Set(["awaiting_confirmation", "awaiting_signoff", "failed", "interrupted"]);
  let last = parseInt(root.dataset.after || "0", 10);
  let socket = null, lost = false, retry = 500, reloadTimer = null;
  const panels = {};

  function panel(step) {
    const key = step === null || step === undefined ? "run" : String(step);
    if (panels[key]) return panels[key];
    const el = document.querySelector(`[data-step-log="${key}"]`);
    if (!el) return null;
    const follow = document.querySelector(`[data-log-follow="${key}"]`);
    const p = { key, el, first: null, loadingEarlier: false, follow: () => !follow || follow.checked };
    el.addEventListener("scroll", () => { if (el.scrollTop < 20) loadEarlier(p); });
    panels[key] = p;
    return p;
  }

  function lineText(m) {
    return (m.stream === "err" ? "! " : "") + (m.host ? m.host + "  " : "") + m.text + "\n";
  }

  function chunk(messages) {
    const span = document.createElement("span");
    span.dataset.first = messages[0].seq;
    span.dataset.last = messages[messages.length - 1].seq;
    span.textContent = messages.map(lineText).join("");
    return span;
  }

  function append(p, messages) {
    if (!messages.length) return;
    const atBottom = p.el.scrollHeight - p.el.scrollTop - p.el.clientHeight < 40;
    p.el.appendChild(chunk(messages));
    if (p.first === null) p.first = messages[0].seq;
    if (p.follow() && (atBottom || p.el.dataset.following !== "no")) {
      while (p.el.children.length > KEEP_CHUNKS) {  // earlier lines reload on scroll-up; none is lost
        p.el.removeChild(p.el.firstElementChild);
        p.first = parseInt(p.el.firstElementChild.dataset.first, 10);
      }
      p.el.scrollTop = p.el.scrollHeight;
    }
  }

  async function fetchJson(params) {
    const response = await fetch(logUrl + "?" + new URLSearchParams(params), { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.status);
    return response.json();
  }

  async function loadTail(p) {
    const data = await fetchJson({ step: p.key === "run" ? "" : p.key, before: 0, limit: PAGE });
    const mine = data.messages.filter((m) => m.seq <= last);
    if (mine.length) { p.el.textContent = ""; append(p, mine); p.first = mine[0].seq; }
    p.el.scrollTop = p.el.scrollHeight;
  }

  async function loadEarlier(p) {
    if (p.loadingEarlier || p.first === null || p.first <= 1) return;
    p.loadingEarlier = true;
    try {
      const data = await fetchJson({ step: p.key === "run" ? "" : p.key, before: p.first, limit: PAGE });
      if (data.messages.length) {
        const height = p.el.scrollHeight;
        p.el.insertBefore(chunk(data.messages), p.el.firstChild);
        p.first = data.messages[0].seq;
        p.el.scrollTop += p.el.scrollHeight - height;
      } else {
        p.first = 1;
      }
    } finally { p.loadingEarlier = false; }
  }

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

  async function fillGap() {
    for (;;) {
      const data = await fetchJson({ after: last, limit: 5000 });
      show(data.messages);
      if (data.messages.length < 5000) return;
    }
  }

  function setText(selector, text, state) {
    document.querySelectorAll(selector).forEach((el) => {
      el.textContent = text;
      if (state) el.className = el.className.replace(/\bstate-\S+/g, "").trim() + " state-" + state;
    });
  }

  function progress() {
    const bar = document.querySelector("progress[data-progress]");
    if (!bar) return;
    const states = [...document.querySelectorAll("[data-step-state]")].map((el) => el.dataset.state);
    bar.max = states.length;
    bar.value = states.filter((s) => DONE.has(s)).length;
    const label = document.querySelector("[data-progress-text]");
    if (label) label.textContent = `${bar.value} / ${bar.max}`;
  }

  function maybeReload() {
    // Buttons and forms depend on the new state: refresh the page unless someone is typing in it.
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      const active = document.activeElement;
      if (active && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName) && active.type !== "checkbox") {
        if (banner) { banner.hidden = false; banner.textContent = root.dataset.msgChanged; }
        return;
      }
      window.location.reload();
    }, 400);
  }

  function state(m) {
    if (m.type === "step") {
      document.querySelectorAll(`[data-step-state="${m.step}"]`).forEach((el) => { el.dataset.state = m.state; });
      setText(`[data-step-state="${m.step}"]`, m.state_label, m.state);
      if (m.started_at && m.finished_at) {
        const seconds = Math.max(0, (Date.parse(m.finished_at) - Date.parse(m.started_at)) / 1000);
        setText(`[data-step-time="${m.step}"]`, seconds.toFixed(1) + " s");
      }
      progress();
      if (NEEDS_PERSON.has(m.state)) maybeReload();
    } else if (m.type === "run") {
      const el = document.querySelector("[data-run-state]");
      const before = el ? el.dataset.state : null;
      setText("[data-run-state]", m.state_label, m.state);
      if (el) el.dataset.state = m.state;
      if (before !== m.state) maybeReload();
    }
  }

  function onFrame(event) {
    const messages = JSON.parse(event.data);
    const logs = messages.filter((m) => m.type === "log");
    if (logs.length && logs[0].seq > last + 1) {
      fillGap().then(() => show(logs));  // a hole: the database has every line
    } else {
      show(logs);
    }
    messages.filter((m) => m.type !== "log").forEach(state);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.ws + "?after=" + last);
    socket.onmessage = onFrame;
    socket.onopen = () => {
      retry = 500;
      if (lost && banner) {
        lost = false;
        banner.textContent = root.dataset.msgRestored;
        banner.className = "banner ok";
        setTimeout(() => { banner.hidden = true; }, 3000);
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4401 || event.code === 4403) return;  // refused: reconnecting will not help
      lost = true;
      if (banner) { banner.hidden = false; banner.className = "banner bad"; banner.textContent = root.dataset.msgLost; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  document.querySelectorAll("[data-log-search]").forEach((input) => {
    const key = input.dataset.logSearch;
    const hits = document.querySelector(`[data-log-hits="${key}"]`);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        if (!hits) return;
        hits.textContent = "";
        if (!input.value) return;
        const data = await fetchJson({ step: key === "run" ? "" : key, q: input.value, limit: 200 });
        for (const m of data.messages) {
          const li = document.createElement("li");
          li.textContent = `#${m.seq}  ${lineText(m)}`;
          hits.appendChild(li);
        }
      }, 250);
    });
  });

  Promise.all([...document.querySelectorAll("[data-step-log]")].map((el) => loadTail(panel(el.dataset.stepLog === "run" ? null : el.dataset.stepLog))))
    .finally(() => { progress(); connect(); });
})();
