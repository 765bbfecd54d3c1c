// Runs and reads perfdhcp (Kea's DHCP load generator) for the DHCP benchmark.

/** perfdhcp as a relay agent: unicast from port 67 with giaddr = relay, `clients` distinct MACs. */
export function perfdhcpArgs({ rate, seconds, clients, relay, server }) {
  // -W: wait a second after the last DISCOVER so late answers count as answers, not drops.
  return ['-4', '-l', relay, '-r', String(rate), '-R', String(clients), '-p', String(seconds), '-W', '1000000', server];
}

const section = (out, name) => {
  const start = out.indexOf(`***Statistics for: ${name}***`);
  if (start < 0) return undefined;
  const rest = out.slice(start);
  const num = (label) => {
    const m = new RegExp(`${label}: ([\\d.]+)`).exec(rest);
    return m ? Number(m[1]) : NaN;
  };
  return { sent: num('sent packets'), received: num('received packets'), drops: num('drops') };
};

/**
 * Leases per second (ACKs received over the sending period; perfdhcp's own rate also counts
 * the wait for late answers) and the worse drop ratio of its two exchanges.
 * { ok: false, error } when the output has no statistics (perfdhcp failed to run).
 */
export function parsePerfdhcp(out, seconds) {
  const rate = /Rate: ([\d.]+) 4-way exchanges\/second/.exec(out);
  const discover = section(out, 'DISCOVER-OFFER');
  const request = section(out, 'REQUEST-ACK');
  if (!rate || !discover || !request) return { ok: false, error: out.trim().split('\n').slice(-3).join(' | ') };
  const ratio = (s) => (s.sent > 0 ? (100 * s.drops) / s.sent : 100);
  return {
    ok: true,
    leasesPerSecond: request.received / seconds,
    acks: request.received,
    dropPercent: Math.max(ratio(discover), ratio(request)),
  };
}
