// A simulated Cisco SIP phone for the demo and the boot-storm benchmarks: it walks the boot
// journey of DESIGN.md on its own network namespace — CDP power request, DHCP with option 150,
// TFTP of its SEP<MAC>.cnf.xml, then SIP REGISTER refreshed on a timer. Progress goes to stderr.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { RawSocket, ETH_P_ALL } from '../native/raw-socket.js';
import { CdpCapability, cdpSummary, decodeCdpFrame, encodeCdpFrame } from '../link/cdp/index.js';
import { fetchTftp } from '../files/tftp/client.js';
import { obtainLease } from './dhcp-client.js';
import { SipPhone } from './sip-phone.js';

export interface SimPhoneOptions {
  interface: string;
  mac: string; // aa:bb:cc:dd:ee:ff
  registerEverySeconds: number;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function maskToPrefix(mask: string): number {
  return mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).split('1').length - 1, 0);
}

/** Sends the phone's CDP (Power Requested) and waits for the switch's Power Available echo. */
async function requestPower(sock: RawSocket, deviceName: string, mac: string): Promise<number | undefined> {
  const requestId = randomInt(1, 65535);
  const frame = encodeCdpFrame({
    version: 2, ttl: 180, checksum: 0,
    tlvs: [
      { type: 'deviceId', value: deviceName },
      { type: 'portId', value: 'Port 1' },
      { type: 'capabilities', bits: CdpCapability.host | CdpCapability.phone },
      { type: 'softwareVersion', value: 'sip8845_65.14-1-1-0001-136' },
      { type: 'platform', value: 'Cisco IP Phone 8845' },
      { type: 'voipVlanQuery', data: 1, vlanId: 1 },
      { type: 'powerRequested', requestId, managementId: 0, levelsMw: [12_900, 6_300] },
      { type: 'duplex', value: 1 },
    ],
  }, mac);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { sock.off('frame', onFrame); resolve(undefined); }, 3000);
    const onFrame = (f: Buffer) => {
      const d = decodeCdpFrame(f);
      if (!d.ok) return;
      const avail = cdpSummary(d.value.pdu).powerAvailable;
      if (avail?.requestId !== requestId) return;
      clearTimeout(timer);
      sock.off('frame', onFrame);
      resolve(avail.levelsMw[0]);
    };
    sock.on('frame', onFrame);
    sock.send(frame);
  });
}

export async function runSimPhone(opts: SimPhoneOptions): Promise<void> {
  const hex = opts.mac.replace(/:/g, '').toUpperCase();
  const deviceName = `SEP${hex}`;
  const sock = RawSocket.open({ interface: opts.interface, protocol: ETH_P_ALL });
  const granted = await requestPower(sock, deviceName, opts.mac);
  say(granted ? `CDP: ${granted} mW granted` : 'CDP: no Power Available reply');

  const lease = await obtainLease(sock, opts.mac);
  sock.close();
  execFileSync('ip', ['addr', 'add', `${lease.ip}/${maskToPrefix(lease.subnetMask)}`, 'dev', opts.interface]);
  if (lease.router) execFileSync('ip', ['route', 'replace', 'default', 'via', lease.router]);
  say(`DHCP: ${lease.ip}, option 150 = ${lease.tftpServers.join(',') || 'none'}`);

  const tftp = lease.tftpServers[0] ?? lease.serverId;
  const file = await fetchTftp({ host: tftp, filename: `${deviceName}.cnf.xml`, blksize: 1428, tsize: true, timeoutMs: 3000, retries: 3 });
  if (!file.ok || !file.data) throw new Error(`TFTP ${deviceName}.cnf.xml failed: ${file.ok ? 'empty' : file.error}`);
  const xml = file.data.toString('utf8');
  const dn = /<line button="1"[\s\S]*?<name>([^<]+)<\/name>/.exec(xml)?.[1] ?? '1000';
  say(`TFTP: ${deviceName}.cnf.xml (${file.data.length} bytes), line 1 = ${dn}`);

  // Outpost proxies registration: the phone registers where it found its files.
  const phone = new SipPhone({ mac: hex, deviceName, dn, ip: lease.ip }, { host: tftp, port: 5060 });
  await phone.open();
  let last: number | undefined | null = null;
  const registerOnce = async () => {
    const status = await phone.register();
    if (status !== last) say(status === 200 ? 'SIP: registered' : `SIP: REGISTER ${status ?? 'unanswered'}`);
    last = status;
  };
  await registerOnce();
  const timer = setInterval(() => void registerOnce(), opts.registerEverySeconds * 1000);
  const stop = () => { clearInterval(timer); phone.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
