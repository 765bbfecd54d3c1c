// The status page: WAN state and every phone with where its journey stands.
import type { Phone } from '../core/inventory.js';
import type { WanSnapshot } from '../core/wan-state.js';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderStatusPage(wan: WanSnapshot, phones: Phone[]): string {
  const rows = phones.map((p) => `<tr><td><a href="/api/phones/${esc(p.deviceName)}">${esc(p.deviceName)}</a></td>
    <td>${esc(p.ip)}</td><td>${esc(p.dn)}</td><td>${esc(p.model)}</td>
    <td>${esc(p.registration ? `${p.registration.protocol} via ${p.registration.servedBy}` : '')}</td>
    <td>${esc(p.lastEvent ? `${p.lastEvent.step}: ${p.lastEvent.detail}` : '')}</td></tr>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Outpost</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.online{color:green}.survival{color:#b00}</style></head>
<body><h1>Outpost</h1><p>WAN: <b class="${esc(wan.state)}">${esc(wan.state)}</b> since ${esc(wan.since)} (${esc(wan.reason)})</p>
<table><tr><th>Device</th><th>IP</th><th>DN</th><th>Model</th><th>Registration</th><th>Last step</th></tr>
${rows}</table></body></html>`;
}
