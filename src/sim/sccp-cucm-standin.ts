// TEST STAND-IN for the lab: a scripted CUCM that answers an SCCP phone's registration with the
// messages and values the real CUCM sends in sccp_cp7970_register_to_cucm.pcapng (RegisterAck with
// maxProtocolVer 21, date M/D/Y, secondary keepalive 60; CapabilitiesReq; templates; LineStatV2Res;
// ForwardStatRes; TimeDateRes; KeepAliveAck). It is not a call agent: it places no calls.
//
// node dist/sim/sccp-cucm-standin.js --listen 10.30.0.1:2000 --keepalive 2 --dn SEP001122334401=2001 ...
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, message, type FieldsOf, type SccpMessage } from '../sccp/codec.js';
import { SccpFramer } from '../sccp/framer.js';
import { MODERN_HEADER, type MessageName } from '../sccp/messages.js';

export interface StandInOptions {
  keepAliveSeconds: number;
  /** Device name -> directory number of line 1. */
  directory: Map<string, string>;
}

const CUCM_MAX_PROTOCOL = 21;

export function serveStandInConnection(socket: Socket, options: StandInOptions, log: (e: object) => void): void {
  const framer = new SccpFramer();
  let version = 0;
  let deviceName = '';
  const send = <N extends MessageName>(name: N, fields: Partial<FieldsOf<N>> = {}, v = version) => socket.write(encodeMessage(message(name, fields, v)));

  const answer = (msg: SccpMessage) => {
    if (msg.kind !== 'known') return;
    switch (msg.name) {
      case 'RegisterReq': {
        const f = msg.fields as FieldsOf<'RegisterReq'>;
        deviceName = f.deviceName;
        const negotiated = Math.min(f.protocolVersion ?? 0, CUCM_MAX_PROTOCOL);
        send('RegisterAck', { keepAliveInterval: options.keepAliveSeconds, dateTemplate: 'M/D/Y', secondaryKeepAliveInterval: 60, maxProtocolVer: CUCM_MAX_PROTOCOL, unknown: 32, phoneFeatures: 0xfff1 }, 0);
        version = negotiated >= MODERN_HEADER ? negotiated : 0;
        send('CapabilitiesReq');
        log({ event: 'register', deviceName, protocolVersion: f.protocolVersion });
        return;
      }
      case 'ButtonTemplateReq':
        return send('ButtonTemplateRes', { buttonOffset: 0, buttonCount: 1, totalButtonCount: 1, definition: [{ instanceNumber: 1, buttonDefinition: 9 }] });
      case 'SoftKeyTemplateReq':
        return send('SoftKeyTemplateRes', { softKeyOffset: 0, softKeyCount: 1, totalSoftKeyCount: 1, definition: [{ softKeyLabel: 'EndCall', softKeyEvent: 9 }] });
      case 'SoftKeySetReq':
        return send('SoftKeySetRes', { softKeySetOffset: 0, softKeySetCount: 0, totalSoftKeySetCount: 0 });
      case 'ConfigStatReq':
        return send('ConfigStatV2Res', { deviceName, numberOfLines: 1, numberOfSpeedDials: 0, userName: '', serverName: 'CUCM-STANDIN' });
      case 'LineStatReq': {
        const n = (msg.fields as FieldsOf<'LineStatReq'>).lineNumber;
        const dn = n === 1 ? options.directory.get(deviceName) ?? '' : '';
        return send('LineStatV2Res', { lineNumber: n, lineType: 9, lineDirNumber: dn, lineFullyQualifiedDisplayName: dn, lineTextLabel: '' });
      }
      case 'ForwardStatReq':
        return send('ForwardStatRes', { lineNumber: (msg.fields as FieldsOf<'ForwardStatReq'>).lineNumber });
      case 'SpeedDialStatReq':
        return send('SpeedDialStatV2Res', { speedDialNumber: (msg.fields as FieldsOf<'SpeedDialStatReq'>).speedDialNumber });
      case 'TimeDateReq': {
        const d = new Date();
        return send('TimeDateRes', {
          wYear: d.getUTCFullYear(), wMonth: d.getUTCMonth() + 1, wDayOfWeek: d.getUTCDay(), wDay: d.getUTCDate(), wHour: d.getUTCHours(),
          wMinute: d.getUTCMinutes(), wSecond: d.getUTCSeconds(), wMilliseconds: d.getUTCMilliseconds(), systemTime: Math.floor(d.getTime() / 1000),
        });
      }
      case 'KeepAliveReq':
        log({ event: 'keepalive', deviceName });
        return send('KeepAliveAck');
      case 'UnregisterReq':
        send('UnregisterAck', { status: 0 });
        return void socket.end();
      default:
    }
  };

  socket.on('data', (chunk: Buffer) => {
    for (const out of framer.push(chunk)) {
      if (!out.ok) return socket.destroy();
      const d = decodeMessage(out.message);
      if (d.ok) answer(d.value);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => log({ event: 'closed', deviceName }));
}

function main(args: string[]): void {
  const value = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const [host, port] = (value('--listen') ?? '0.0.0.0:2000').split(':');
  const directory = new Map<string, string>();
  args.forEach((a, i) => {
    if (a !== '--dn') return;
    const [name, dn] = (args[i + 1] ?? '').split('=');
    if (name && dn) directory.set(name.toUpperCase(), dn);
  });
  const options = { keepAliveSeconds: Number(value('--keepalive') ?? 30), directory };
  const log = (e: object) => process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`);
  const server = createServer((socket) => serveStandInConnection(socket, options, log));
  server.listen(Number(port) || 2000, host, () => log({ event: 'listening', host, port }));
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
