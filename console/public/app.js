/* The console page: reads the JSON API every second and draws the vault; guardian actions become
 * unsigned transactions and a Transaction Builder file from the API. No key, no wallet, no chain access. */
"use strict";

const state = { vaults: [], key: null, data: null, batch: [], rendered: new Map(), charts: new Map() };
window.consoleCharts = state.charts;

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const short = (a) => (a ? `${a.slice(0, 6)}…${a.slice(-4)}` : "");

function fmt(amount, decimals) {
  let v = BigInt(amount);
  const neg = v < 0n;
  if (neg) v = -v;
  const base = 10n ** BigInt(decimals);
  const whole = (v / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let frac = decimals > 0 ? (v % base).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  if (frac.length > 4) frac = frac.slice(0, 4);
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}
const toNumber = (amount, decimals) => Number(BigInt(amount)) / 10 ** decimals;
const plainAmount = (amount, decimals) => {
  const base = 10n ** BigInt(decimals);
  const v = BigInt(amount);
  const frac = decimals > 0 ? (v % base).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  return `${v / base}${frac ? `.${frac}` : ""}`;
};

function iso(seconds) {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z").replace("T", " ");
}
/** A configured duration: "24h", "90m", "60s". */
function span(s) {
  s = Number(s);
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}
function duration(s) {
  s = Math.max(0, Math.floor(s));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${d ? `${d}d ` : ""}${d || h ? `${h}h ` : ""}${m}m ${r}s`;
}

/** The chain's time now: the snapshot block's timestamp plus the time since the monitor first saw that block. */
function chainNow() {
  const s = state.data && state.data.snapshot;
  if (!s) return Date.now() / 1000;
  return Number(s.timestamp) + (Date.now() - (s.observedAt || s.takenAt)) / 1000;
}

function tokenMeta(token) {
  const s = state.data && state.data.snapshot;
  const t = s && s.status.tokens.find((x) => x.token === token);
  return t || { token, symbol: short(token), decimals: 0 };
}
function label(address) {
  const labels = (state.data && state.data.snapshot && state.data.snapshot.labels) || {};
  return labels[address] ? `${esc(labels[address])} <span class="muted mono">${short(address)}</span>` : `<span class="mono">${short(address)}</span>`;
}
function plainLabel(address) {
  const labels = (state.data && state.data.snapshot && state.data.snapshot.labels) || {};
  return labels[address] || short(address);
}

/** Replaces a section's HTML only when what it shows changed (keeps inputs and focus otherwise). */
function render(id, value, draw) {
  const key = JSON.stringify(value);
  if (state.rendered.get(id) === key) return false;
  state.rendered.set(id, key);
  $(id).innerHTML = draw(value);
  return true;
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

async function refresh() {
  try {
    const overview = await getJson("/api/overview");
    state.vaults = overview.vaults;
    const select = $("vault-select");
    const options = overview.vaults.map((v) => `<option value="${esc(`${v.chain}/${v.address}`)}">${esc(v.name)} (${esc(v.chain)})${v.paused ? " PAUSED" : ""}</option>`).join("");
    if (select.dataset.options !== options) {
      select.innerHTML = options;
      select.dataset.options = options;
    }
    if (!state.key) state.key = new URLSearchParams(location.search).get("vault") || (overview.vaults[0] && `${overview.vaults[0].chain}/${overview.vaults[0].address}`);
    select.value = state.key;
    $("alert-counts").innerHTML = `<span class="badge ${overview.alerts.open ? "bad" : "ok"}">${overview.alerts.open} open alerts</span> ${overview.alerts.undeliverable ? `<span class="badge bad" id="undeliverable-count">${overview.alerts.undeliverable} undeliverable</span>` : ""}`;
    if (!state.key) return;
    state.data = await getJson(`/api/vaults/${state.key}`);
    const v = overview.vaults.find((x) => `${x.chain}/${x.address}` === state.key);
    $("sync").textContent = v ? `block ${v.nextBlock - 1}${v.lag ? ` (${v.lag} behind the head)` : ""} · snapshot ${v.snapshotBlock ?? "none"}` : "";
    draw();
  } catch (e) {
    $("sync").textContent = `console cannot read the API: ${e.message}`;
  }
}

function draw() {
  const d = state.data;
  const s = d.snapshot;
  if (!s) {
    $("state").innerHTML = `<h2>${esc(d.vault.name)}</h2><p class="muted">No snapshot yet: the monitor has not read this vault.</p>`;
    return;
  }
  const p = s.status.policy;
  render("state", { p, vault: d.vault, chain: d.chain }, () => `
    <h2>${esc(d.vault.name)} · ${esc(d.vault.chain)} (chain id ${esc(s.chainId)}) · <span class="mono">${esc(d.vault.address)}</span></h2>
    ${p.paused ? `<div class="paused-banner" id="paused-banner">PAUSED: no operator outflow until an Unpause change executes</div>` : ""}
    <div class="kv">
      <span class="muted">state</span><span id="vault-state">${p.paused ? `<span class="badge bad">PAUSED</span>` : `<span class="badge ok">active</span> <button class="danger" data-add="pause">Pause</button>`}</span>
      <span class="muted">admin</span><span class="mono">${esc(p.admin)}${p.pendingAdmin !== "0x0000000000000000000000000000000000000000" ? ` (pending: ${esc(p.pendingAdmin)})` : ""}</span>
      <span class="muted">guardians</span><span class="mono" id="guardians">${p.guardians.map(esc).join(", ") || "none"}</span>
      <span class="muted">approvers</span><span class="mono" id="approvers">${(p.approvers ?? []).map(esc).join(", ") || "none"}</span>
      <span class="muted">guardian Safe</span><span class="mono">${esc(d.vault.safe || "not set in the monitor config")}</span>
      <span class="muted">recovery</span><span class="mono">${esc(p.recovery)}</span>
      <span class="muted">timing</span><span>window ${span(p.window)}, change delay ${span(p.changeDelay)}, withdrawal delay ${span(p.withdrawalDelay)}; tripwire ${p.tripwire.maxCount ? `more than ${p.tripwire.maxCount} withdrawals of a token per ${span(p.tripwire.period)}` : "rate rule off"}</span>
    </div>`);

  render("balances", p.tokens, (tokens) => `<table><tr><th>token</th><th class="num">balance</th><th class="num">vault cap</th><th class="num">used</th><th class="num">available</th><th>capacity returns</th></tr>
    ${tokens.map((t) => { const m = tokenMeta(t.token); return `<tr><td>${esc(m.symbol)}</td><td class="num">${fmt(t.balance, m.decimals)}</td><td class="num">${fmt(t.vaultCap, m.decimals)}</td><td class="num">${fmt(t.used, m.decimals)}</td><td class="num">${fmt(t.available, m.decimals)}</td><td>${t.nextRelease !== "0" ? iso(t.nextRelease) : "—"}</td></tr>`; }).join("")}</table>`);

  render("exposure", s.exposure, (x) => `<table><tr><th>token</th><th>key</th>${x.horizons.map((h) => `<th class="num">${Number(h) / 3600}h</th>`).join("")}</tr>
    ${x.tokens.map((t) => {
      // With a co-signed cap, what the key and a stolen approver together could move (totalWithApprover).
      const withApprover = (key, bounds, cls) => (bounds.some((b) => b.cosigned !== "0") ? `<tr class="${cls} with-approver"><td>${esc(t.symbol)}</td><td>${key} + approver</td>${bounds.map((b) => `<td class="num">${fmt(b.totalWithApprover, t.decimals)}</td>`).join("")}</tr>` : "");
      return [
        ...t.operators.map((o) => `<tr><td>${esc(t.symbol)}</td><td>${label(o.operator)}</td>${o.bounds.map((b) => `<td class="num">${fmt(b.total, t.decimals)}</td>`).join("")}</tr>` + withApprover(label(o.operator), o.bounds, "")),
        `<tr class="total"><td>${esc(t.symbol)}</td><td>all keys</td>${t.vault.map((b) => `<td class="num">${fmt(b.total, t.decimals)}</td>`).join("")}</tr>` + withApprover("all keys", t.vault, "total"),
      ].join("");
    }).join("")}</table>`);

  render("operators", { ops: p.operators, paused: p.paused }, ({ ops }) => ops.map((o) => `
    <div class="operator" data-operator="${esc(o.operator)}">
      <p><strong>${label(o.operator)}</strong> <span class="mono muted">${esc(o.operator)}</span>
        ${o.suspended ? `<span class="badge bad operator-suspended">SUSPENDED</span>` : `<span class="badge ok">active</span> <button class="danger" data-add="suspendOperator:${esc(o.operator)}">Suspend</button>`}
        ${o.tripwireOptedOut ? `<span class="badge warning">tripwire opted out</span>` : ""}</p>
      <p class="muted">destinations: ${o.destinations.map((dst) => `<span class="mono">${esc(plainLabel(dst))}</span> <button data-add="revokeDestination:${esc(o.operator)}:${esc(dst)}">Revoke</button>`).join(" ") || "none"}</p>
      ${(o.cosignedDestinations ?? []).length ? `<p class="muted cosigned-destinations">co-signed only: ${o.cosignedDestinations.map((dst) => `<span class="mono">${esc(plainLabel(dst))}</span> <button data-add="revokeDestination:${esc(o.operator)}:${esc(dst)}">Revoke</button>`).join(" ")}</p>` : ""}
      <table><tr><th>token</th><th class="num">cap / window</th><th class="num">instant limit</th><th class="num">queue cap</th><th class="num">used</th><th class="num">available</th><th class="num">queued</th><th>lower to (cap, instant, queue)</th></tr>
      ${o.limits.filter((l) => l.cap !== "0" || l.queueCap !== "0" || l.pendingQueued !== "0").map((l) => { const m = tokenMeta(l.token); return `<tr>
        <td>${esc(m.symbol)}</td><td class="num">${fmt(l.cap, m.decimals)}</td><td class="num">${fmt(l.instantLimit, m.decimals)}</td><td class="num">${fmt(l.queueCap, m.decimals)}</td>
        <td class="num">${fmt(l.used, m.decimals)}</td><td class="num">${fmt(l.available, m.decimals)}</td><td class="num">${fmt(l.pendingQueued, m.decimals)}</td>
        <td><input data-field="cap" value="${plainAmount(l.cap, m.decimals)}"> <input data-field="instantLimit" value="${plainAmount(l.instantLimit, m.decimals)}"> <input data-field="queueCap" value="${plainAmount(l.queueCap, m.decimals)}">
          <button data-lower="${esc(o.operator)}:${esc(l.token)}">Lower</button></td></tr>`; }).join("")}</table>
    </div>`).join("<hr>"));

  drawCharts(s);

  render("queue", s.status.queue, (queue) => queue.length === 0 ? `<p class="muted">none</p>` : `<table id="queue-table"><tr><th>#</th><th>operator</th><th class="num">amount</th><th>to</th><th>executable from</th><th>in</th><th></th></tr>
    ${queue.map((w) => { const m = tokenMeta(w.token); return `<tr data-id="${esc(w.id)}" class="queued"><td>${esc(w.id)}</td><td>${label(w.operator)}</td><td class="num">${fmt(w.amount, m.decimals)} ${esc(m.symbol)}</td><td>${label(w.to)}</td><td>${iso(w.eta)}</td>
      <td><span class="countdown" data-eta="${esc(w.eta)}"></span></td><td><button class="danger" data-add="cancelWithdrawal:${esc(w.id)}">Cancel</button></td></tr>`; }).join("")}</table>`);

  render("changes", p.pendingChanges, (changes) => changes.length === 0 ? `<p class="muted">none</p>` : `<table id="changes-table"><tr><th>#</th><th>change</th><th>executable from</th><th>in</th><th></th></tr>
    ${changes.map((c) => `<tr data-id="${esc(c.id)}" class="change"><td>${esc(c.id)}</td><td><strong>${esc(c.kind)}</strong><br><span class="muted mono">${Object.entries(c.change).filter(([k]) => k !== "kind").map(([k, v]) => `${esc(k)}=${esc(k === "token" ? tokenMeta(v).symbol : typeof v === "string" && v.startsWith("0x") ? plainLabel(v) : v)}`).join(", ")}</span></td>
      <td>${iso(c.eta)}</td><td><span class="countdown" data-eta="${esc(c.eta)}"></span></td><td><button class="danger" data-add="cancelChange:${esc(c.id)}">Cancel</button></td></tr>`).join("")}</table>`);

  render("actions", d.actions, (actions) => actions.length === 0 ? "" : `<p><strong>Responder actions</strong></p><table id="actions-table"><tr><th>time</th><th>action</th><th>status</th><th>transaction</th></tr>
    ${actions.map((a) => `<tr class="responder-action" data-kind="${esc(a.kind)}"><td class="muted nowrap">${new Date(a.createdAt).toISOString().slice(5, 19).replace("T", " ")}</td>
      <td>${esc(a.kind)} <span class="muted">${esc((a.details.rules || []).join(", "))}</span></td><td><span class="badge ${a.status === "confirmed" ? "ok" : a.status === "failed" ? "bad" : "info"}">${esc(a.status)}</span></td>
      <td class="mono">${esc(a.txHash || (a.details.error && a.details.error.message) || a.details.note || "")}</td></tr>`).join("")}</table>`);

  render("timeline", d.timeline, (items) => `<div class="timeline"><table id="timeline-table"><tr><th>time</th><th>block</th><th>event</th><th>alerts</th></tr>
    ${items.map((it) => `<tr class="timeline-item" data-event="${esc(it.event ? it.event.name : "")}">
      <td class="muted nowrap">${new Date(it.at).toISOString().slice(5, 19).replace("T", " ")}</td><td>${it.event ? it.event.blockNumber : ""}</td>
      <td>${it.event ? `<strong>${esc(it.event.name)}</strong> <span class="muted">${describeArgs(it.event.args)}</span>` : ""}</td>
      <td>${it.alerts.map((a) => `<div class="alert-line" data-kind="${esc(a.kind)}"><span class="badge ${a.action === "resolve" ? "resolved" : esc(a.severity)}">${a.action === "resolve" ? "resolved" : esc(a.severity)}</span> ${esc(a.kind)}: ${esc(a.summary)}
        ${a.deliveries.map((x) => x.status === "failed" ? `<span class="undelivered">UNDELIVERED to ${esc(x.sink)}: ${esc(x.lastError || "")}</span>` : x.status === "pending" ? `<span class="muted">sending to ${esc(x.sink)}${x.attempts ? ` (attempt ${x.attempts + 1}: ${esc(x.lastError || "")})` : ""}</span>` : `<span class="muted delivered" data-sink="${esc(x.sink)}">✓ ${esc(x.sink)}</span>`).join(" ")}</div>`).join("")}</td></tr>`).join("")}</table></div>`);

  tick();
}

function describeArgs(args) {
  const token = typeof args.token === "string" ? tokenMeta(args.token) : null;
  return Object.entries(args)
    .filter(([k]) => !["params", "change", "role", "kind", "reason"].includes(k))
    .map(([k, v]) => {
      if (k === "token" && token) return `token=${esc(token.symbol)}`;
      if (["amount", "cap", "instantLimit", "queueCap", "vaultCap"].includes(k) && token) return `${k}=${fmt(v, token.decimals)}`;
      if (k === "eta") return `eta=${iso(v)}`;
      if (typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v)) return `${k}=${esc(plainLabel(v))}`;
      return `${esc(k)}=${esc(typeof v === "object" ? JSON.stringify(v) : v)}`;
    })
    .join(" ");
}

function drawCharts(s) {
  const p = s.status.policy;
  const horizonHours = (Number(p.window) * 4) / 3 / 3600;
  const now = Number(s.timestamp);
  const container = $("charts");
  const keys = [];
  for (const o of p.operators) {
    for (const l of o.limits) {
      if (l.cap === "0") continue;
      const key = `${o.operator}|${l.token}`;
      keys.push(key);
      const m = tokenMeta(l.token);
      const schedule = (s.schedules[key] || [{ at: s.timestamp, used: l.used }]).map((pt) => ({ x: Math.max(0, (Number(pt.at) - now) / 3600), y: toNumber(pt.used, m.decimals) }));
      schedule.push({ x: horizonHours, y: schedule[schedule.length - 1].y });
      const cap = toNumber(l.cap, m.decimals);
      const back = (s.schedules[key] || []).slice(-1)[0];
      const title = `${esc(plainLabel(o.operator))} · ${esc(m.symbol)}: <strong>${fmt(l.used, m.decimals)}</strong> of ${fmt(l.cap, m.decimals)} used${l.used !== "0" && back && back.used === "0" ? `; all back by ${iso(back.at)}` : ""}`;
      let box = container.querySelector(`[data-chart="${CSS.escape(key)}"]`);
      if (!box) {
        box = document.createElement("div");
        box.className = "chart";
        box.dataset.chart = key;
        box.innerHTML = `<div class="title"></div><div class="plot"><canvas></canvas></div>`;
        container.appendChild(box);
        const chart = new Chart(box.querySelector("canvas"), {
          type: "line",
          data: { datasets: [
            { label: "used (counts against the cap)", data: [], stepped: "after", fill: true, borderColor: "#f0883e", backgroundColor: "rgba(240,136,62,.25)", pointRadius: 2 },
            { label: "cap", data: [], borderColor: "#58a6ff", borderDash: [6, 4], pointRadius: 0 },
          ] },
          options: {
            animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
            scales: {
              x: { type: "linear", min: 0, max: horizonHours, title: { display: true, text: "hours from now", color: "#8b98a5" }, ticks: { color: "#8b98a5" }, grid: { color: "#2a3440" } },
              y: { beginAtZero: true, ticks: { color: "#8b98a5" }, grid: { color: "#2a3440" } },
            },
            plugins: { legend: { labels: { color: "#c9d1d9", boxWidth: 12 } } },
          },
        });
        state.charts.set(key, chart);
      }
      box.querySelector(".title").innerHTML = title;
      box.dataset.used = l.used;
      const chart = state.charts.get(key);
      const next = JSON.stringify([schedule, cap]);
      if (box.dataset.plotted !== next) {
        box.dataset.plotted = next;
        chart.data.datasets[0].data = schedule;
        chart.data.datasets[1].data = [{ x: 0, y: cap }, { x: horizonHours, y: cap }];
        chart.update("none");
      }
    }
  }
  for (const box of [...container.querySelectorAll("[data-chart]")]) {
    if (!keys.includes(box.dataset.chart)) {
      state.charts.get(box.dataset.chart)?.destroy();
      state.charts.delete(box.dataset.chart);
      box.remove();
    }
  }
}

/** Live countdowns to each eta, from the chain's time. */
function tick() {
  const now = chainNow();
  for (const el of document.querySelectorAll(".countdown")) {
    const left = Number(el.dataset.eta) - now;
    el.dataset.remaining = String(Math.max(0, Math.floor(left)));
    el.classList.toggle("ready", left <= 0);
    el.textContent = left <= 0 ? "executable now" : duration(left);
  }
}

async function drawBatch() {
  const box = $("batch");
  if (state.batch.length === 0) {
    box.innerHTML = `<p class="muted">Pick actions with the buttons above (Pause, Suspend, Cancel, Revoke, Lower): they gather here as one batch for the guardian Safe.</p>`;
    return;
  }
  const query = state.batch.map((a) => `a=${encodeURIComponent(a)}`).join("&");
  const url = `/api/vaults/${state.key}/tx?${query}`;
  let body;
  try {
    body = await getJson(url);
  } catch (e) {
    box.innerHTML = `<p class="undelivered" id="batch-error">${esc(e.message)}</p><button id="batch-clear">Clear</button>`;
    return;
  }
  const txs = body.transactions.map(({ to, data, value }) => ({ to, data, value }));
  box.innerHTML = `
    <ol id="batch-actions">${state.batch.map((a, i) => `<li>${esc(a.split(":")[0])} <span class="mono muted">${esc(a.split(":").slice(1).join(" "))}</span> <button data-remove="${i}">remove</button></li>`).join("")}</ol>
    <p>${body.batch ? `<a id="download" href="${esc(url)}&download=1" download>Download the Transaction Builder file</a> <span class="muted">(Safe ${esc(body.batch.meta.createdFromSafeAddress)}, chain id ${esc(body.batch.chainId)}, checksum ${esc(body.batch.meta.checksum.slice(0, 10))}…)</span>` : `<span class="muted">No guardian Safe configured for this vault: use the transactions below with any wallet.</span>`}
      <button id="batch-clear">Clear</button></p>
    <p class="muted">{ to, data, value } for any wallet:</p>
    <pre id="tx-json" class="mono">${esc(JSON.stringify(txs, null, 2))}</pre>`;
}

document.addEventListener("click", (ev) => {
  const t = ev.target.closest("button, a");
  if (!t) return;
  if (t.dataset.add) {
    if (!state.batch.includes(t.dataset.add)) state.batch.push(t.dataset.add);
    drawBatch();
  } else if (t.dataset.lower) {
    const row = t.closest("tr");
    const [operator, token] = t.dataset.lower.split(":");
    const v = (f) => row.querySelector(`[data-field="${f}"]`).value.trim();
    state.batch.push(`lowerOperatorLimits:${operator}:${token}:${v("cap")}:${v("instantLimit")}:${v("queueCap")}`);
    drawBatch();
  } else if (t.dataset.remove !== undefined) {
    state.batch.splice(Number(t.dataset.remove), 1);
    drawBatch();
  } else if (t.id === "batch-clear") {
    state.batch = [];
    drawBatch();
  }
});
$("vault-select").addEventListener("change", (ev) => {
  state.key = ev.target.value;
  state.batch = [];
  state.rendered.clear();
  for (const c of state.charts.values()) c.destroy();
  state.charts.clear();
  $("charts").innerHTML = "";
  history.replaceState(null, "", `?vault=${encodeURIComponent(state.key)}`);
  drawBatch();
  refresh();
});

drawBatch();
refresh();
setInterval(refresh, 1000);
setInterval(tick, 250);
