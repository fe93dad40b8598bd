/* Plan page: show only some steps (deviations, four-eyes, console), and open or close every step's details.
 *
 * DOM contract (templates/procedures/plan.html): li[data-deviation][data-signoff][data-console] ("1" or ""),
 * input[data-plan-filter=<name>], button[data-plan-expand], button[data-plan-collapse],
 * [data-plan-count][data-msg] ("{shown} of {total} steps shown"), details[data-step-details].
 * With more than one filter ticked, a step shows when it matches any of them.
 */
(function () {
  "use strict";
  const steps = [...document.querySelectorAll("ol.plan-steps > li")];
  const filters = [...document.querySelectorAll("[data-plan-filter]")];
  const count = document.querySelector("[data-plan-count]");
  if (!steps.length) return;

  function apply() {
    const wanted = filters.filter((f) => f.checked).map((f) => f.dataset.planFilter);
    let shown = 0;
    for (const li of steps) {
      const show = !wanted.length || wanted.some((name) => li.dataset[name] === "1");
      li.hidden = !show;
      if (show) shown += 1;
    }
    document.querySelectorAll("h3.phase").forEach((h) => {
      const list = h.nextElementSibling;
      h.hidden = !!list && [...list.children].every((li) => li.hidden);
    });
    if (count) count.textContent = wanted.length ? count.dataset.msg.replace("{shown}", shown).replace("{total}", steps.length) : "";
  }

  filters.forEach((f) => f.addEventListener("change", apply));
  const setAll = (open) => document.querySelectorAll("details[data-step-details]").forEach((d) => (d.open = open));
  const expand = document.querySelector("[data-plan-expand]");
  const collapse = document.querySelector("[data-plan-collapse]");
  if (expand) expand.addEventListener("click", () => setAll(true));
  if (collapse) collapse.addEventListener("click", () => setAll(false));
  // A link to one step (#step-…) opens its details.
  function openTarget() {
    const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    const details = target && target.querySelector("details[data-step-details]");
    if (details) details.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  apply();
})();
