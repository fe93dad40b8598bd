/* Home page: its panels are read again whenever a run of the reader's domains changes.
 *
 * DOM contract (templates/procedures/home.html):
 *   #home-live[data-ws][data-panels-url][data-msg-lost]   the socket path, the panels' URL, the banner text
 *   [data-home-panels]                                  replaced by the panels' HTML after each ring
 *   [data-connection-banner]                            shown while the socket is down
 *
 * The socket only rings (`[{"type": "changed", "run": id}]`); what the reader may see comes over HTTP, scoped
 * like every page. Rings are gathered: at most one fetch per second, and one after a reconnect.
 */
(function () {
  "use strict";
  const root = document.getElementById("home-live");
  if (!root) return;
  const panels = root.querySelector("[data-home-panels]");
  const banner = root.querySelector("[data-connection-banner]");
  const GATHER_MS = 300;
  const MIN_GAP_MS = 1000;
  let timer = null;
  let lastFetch = 0;
  let fetching = false;
  let again = false;
  let retry = 500;

  async function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    lastFetch = Date.now();
    try {
      const response = await fetch(root.dataset.panelsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok && !response.redirected) {
        panels.innerHTML = await response.text();
        root.dataset.refreshed = String(parseInt(root.dataset.refreshed || "0", 10) + 1);
      }
    } catch (error) {
      console.error("home panels:", error);
    } finally {
      fetching = false;
      if (again) {
        again = false;
        ring();
      }
    }
  }

  function ring() {
    clearTimeout(timer);
    const wait = Math.max(GATHER_MS, MIN_GAP_MS - (Date.now() - lastFetch));
    timer = setTimeout(refresh, wait);
  }

  function connect(reconnecting) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + window.location.host + root.dataset.ws);
    ws.onopen = () => {
      retry = 500;
      if (banner) banner.hidden = true;
      root.dataset.connected = "1";
      if (reconnecting) ring(); // something may have changed while the socket was down
    };
    ws.onmessage = () => ring();
    ws.onclose = (event) => {
      root.dataset.connected = "0";
      if (event.code === 4401) return; // logged out: the next page load asks for a log-in
      if (banner) {
        banner.hidden = false;
        banner.textContent = root.dataset.msgLost;
      }
      setTimeout(() => connect(true), retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  connect(false);
})();
