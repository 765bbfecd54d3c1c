// A scripted SCCP phone for the lab and the demo: registers the way a CP-7970 does (the request
// sequence of the real capture), keeps alive at the interval its call manager gives, re-registers
// when the connection drops or a keepalive goes unanswered, and places and answers calls on
// command, answering media channel requests with its own address and RTP port.
//
// As a process: node dist/sim/sccp-phone.js --server 10.20.0.1:2000 --name SEP001122334401
//   --ip 10.20.0.51 [--rtp-port 20000] [--protocol 20]
// reads commands on stdin (offhook | dial DIGITS | answer | onhook) and prints one JSON event per line.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, is, message, type FieldsOf, type SccpMessage } from '../sccp/codec.js';
import { Codec } from '../sccp/constants.js';
import { SccpFramer } from '../sccp/framer.js';
import { MODERN_HEADER, type MessageName } from '../sccp/messages.js';

export interface SccpPhoneOptions {
  server: { host: string; port: number };
  deviceName: string;
  ip: string;
  rtpPort: number;
  protocolVersion: number;
  deviceType?: number;
  reconnectMs?: number;
}

export type SccpPhoneEvent = { event: string } & Record<string, unknown>;

/** Messages the phone reports as events (the rest only update its state). */
const REPORTED = new Set<string>(['RegisterAck', 'RegisterReject', 'CallState', 'StartTone', 'SetRinger', 'OpenReceiveChannel', 'StartMediaTransmission',
  'CloseReceiveChannel', 'StopMediaTransmission', 'DisplayPromptStatus', 'DisplayPromptStatusV2', 'LineStatRes', 'LineStatV2Res', 'Reset']);

export class SccpPhoneSim extends EventEmitter<{ event: [SccpPhoneEvent] }> {
  registered = false;
  lines: string[] = [];
  private socket?: Socket;
  private framer = new SccpFramer();
  private version = 0;
  private keepAliveTimer?: NodeJS.Timeout;
  private awaitingAck = false;
  private stopped = false;
  private callReference = 0;
  private lineInstance = 1;

  constructor(private readonly options: SccpPhoneOptions) {
    super();
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.keepAliveTimer);
    this.socket?.destroy();
  }

  offHook(): void {
    this.send('OffHook', { lineInstance: this.lineInstance, callReference: this.callReference });
  }

  dial(digits: string): void {
    for (const d of digits) {
      const button = d === '*' ? 0x0e : d === '#' ? 0x0f : Number(d);
      this.send('KeypadButton', { kpButton: button, lineInstance: this.lineInstance, callReference: this.callReference });
    }
  }

  onHook(): void {
    this.send('OnHook', { lineInstance: this.lineInstance, callReference: this.callReference });
  }

  private emitEvent(e: SccpPhoneEvent): void {
    this.emit('event', { ...e, at: new Date().toISOString(), deviceName: this.options.deviceName });
  }

  private connect(): void {
    this.framer = new SccpFramer();
    this.version = 0;
    this.registered = false;
    const socket = connect({ host: this.options.server.host, port: this.options.server.port, localAddress: this.options.ip });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.emitEvent({ event: 'connected' });
      this.send('RegisterReq', {
        deviceName: this.options.deviceName, reserved: 0, instance: 0, stationIpAddr: this.options.ip, deviceType: this.options.deviceType ?? 30006,
        maxStreams: 5, activeStreams: 0, protocolVersion: this.options.protocolVersion, unknown: 0, phoneFeatures: 0x8572, maxConferences: 1,
        activeConferences: 0, macAddress: Buffer.from(this.options.deviceName.slice(3), 'hex'), macPadding: Buffer.alloc(6), ipV4AddressScope: 3,
        maxNumberOfLines: 6, stationIpV6Addr: Buffer.alloc(16), ipV6AddressScope: 0, firmwareLoadName: 'OUTPOST-SIM',
      });
    });
    socket.on('data', (chunk: Buffer) => {
      for (const out of this.framer.push(chunk)) {
        if (!out.ok) return socket.destroy();
        const d = decodeMessage(out.message);
        if (d.ok) this.onMessage(d.value);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
      this.registered = false;
      this.emitEvent({ event: 'disconnected' });
      if (!this.stopped) setTimeout(() => this.connect(), this.options.reconnectMs ?? 500).unref();
    });
  }

  private send<N extends MessageName>(name: N, fields: Partial<FieldsOf<N>> = {}): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(encodeMessage(message(name, fields, this.version)));
  }

  private onMessage(msg: SccpMessage): void {
    if (msg.kind === 'known' && REPORTED.has(msg.name)) this.emitEvent({ event: 'message', name: msg.name, ...msg.fields });
    if (is(msg, 'RegisterAck')) {
      const negotiated = Math.min(this.options.protocolVersion, msg.fields.maxProtocolVer ?? 0);
      this.version = negotiated >= MODERN_HEADER ? negotiated : 0;
      this.startKeepAlives(msg.fields.keepAliveInterval);
      // The CP-7970's request sequence after RegisterAck (sccp_cp7970_register_to_cucm.pcapng).
      this.send('IpPort', { rtpMediaPort: this.options.rtpPort });
      this.send('ButtonTemplateReq');
      this.send('SoftKeyTemplateReq');
      this.send('SoftKeySetReq');
      this.send('ConfigStatReq');
      return;
    }
    if (is(msg, 'RegisterReject')) return void this.socket?.destroy();
    if (is(msg, 'CapabilitiesReq')) {
      const caps = [Codec.G711Ulaw, Codec.G711Alaw].map((c) => ({ payloadCapability: c, maxFramesPerPacket: 40, codecParams: Buffer.alloc(8) }));
      return this.send('CapabilitiesRes', { capCount: caps.length, caps });
    }
    if (is(msg, 'ConfigStatRes') || is(msg, 'ConfigStatV2Res')) {
      for (let n = 1; n <= Math.max(1, msg.fields.numberOfLines); n++) {
        this.send('LineStatReq', { lineNumber: n });
        this.send('ForwardStatReq', { lineNumber: n });
      }
      this.send('TimeDateReq');
      return;
    }
    if (is(msg, 'LineStatRes') || is(msg, 'LineStatV2Res')) {
      this.lines[msg.fields.lineNumber - 1] = msg.fields.lineDirNumber ?? '';
      return;
    }
    if (is(msg, 'TimeDateRes')) {
      this.send('RegisterAvailableLines', { maxNumOfAvailLines: Math.max(1, this.lines.length) });
      this.registered = true;
      return this.emitEvent({ event: 'registered', lines: this.lines });
    }
    if (is(msg, 'KeepAliveAck')) {
      this.awaitingAck = false;
      return this.emitEvent({ event: 'keepalive-ack' });
    }
    if (is(msg, 'CallState')) {
      this.callReference = msg.fields.callReference;
      this.lineInstance = msg.fields.lineInstance || 1;
      return;
    }
    if (is(msg, 'OpenReceiveChannel')) {
      return this.send('OpenReceiveChannelAck', {
        mediaReceptionStatus: 0, ipAddr: this.options.ip, portNumber: this.options.rtpPort,
        passThroughPartyId: msg.fields.passThroughPartyId, callReference: msg.fields.callReference ?? this.callReference,
      });
    }
    if (is(msg, 'StartMediaTransmission')) {
      return this.send('StartMediaTransmissionAck', {
        conferenceId: msg.fields.conferenceId, passThroughPartyId: msg.fields.passThroughPartyId, callReference: msg.fields.callReference ?? this.callReference,
        transmitIpAddr: this.options.ip, portNumber: this.options.rtpPort, mediaTransmissionStatus: 0,
      });
    }
  }

  private startKeepAlives(seconds: number): void {
    clearInterval(this.keepAliveTimer);
    this.awaitingAck = false;
    this.keepAliveTimer = setInterval(() => {
      if (this.awaitingAck) {
        // As a phone does: an unanswered keepalive means the call manager is gone; register again.
        this.emitEvent({ event: 'keepalive-failed' });
        this.socket?.destroy();
        return;
      }
      this.awaitingAck = true;
      this.send('KeepAliveReq');
      this.emitEvent({ event: 'keepalive-sent' });
    }, Math.max(1, seconds) * 1000);
  }
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(args: string[]): void {
  const [host, port] = (argValue(args, '--server') ?? '10.20.0.1:2000').split(':');
  const deviceName = argValue(args, '--name');
  const ip = argValue(args, '--ip');
  if (!deviceName || !ip) {
    process.stderr.write('usage: sccp-phone --server HOST:PORT --name SEP<MAC> --ip ADDRESS [--rtp-port N] [--protocol N]\n');
    process.exit(2);
  }
  const phone = new SccpPhoneSim({
    server: { host, port: Number(port) || 2000 }, deviceName, ip,
    rtpPort: Number(argValue(args, '--rtp-port') ?? 20000), protocolVersion: Number(argValue(args, '--protocol') ?? 20),
  });
  phone.on('event', (e) => process.stdout.write(`${JSON.stringify(e)}\n`));
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === 'offhook' || cmd === 'answer') phone.offHook();
    else if (cmd === 'dial' && arg) phone.dial(arg);
    else if (cmd === 'onhook') phone.onHook();
  });
  process.on('SIGTERM', () => { phone.stop(); process.exit(0); });
  phone.start();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
