// One phone served by Outpost itself (survival): answers its registration the way CUCM and CME
// do in the captures (RegisterAck, CapabilitiesReq, templates, line and forward status, time,
// keepalives) and shows "CM Fallback Service Operating". No I/O: replies go through `send`.
import { is, message, type FieldsOf, type KnownMessage, type SccpMessage } from './codec.js';
import { Codec, LINE_TYPE_DN, SoftKeySet } from './constants.js';
import { MODERN_HEADER, type MessageName } from './messages.js';
import { SOFT_KEYS, buttonDefinitions, softKeySets } from './templates.js';

export interface StationConfig {
  keepAliveSeconds: number;
  secondaryKeepAliveSeconds: number;
  dateTemplate: string;
  /** Highest protocol version Outpost speaks; phones get the lower of theirs and this. */
  maxProtocolVersion: number;
  prompt: string;
  serverName: string;
}

/** What Outpost knows of a phone, from its registration (local or observed through the proxy). */
export interface StationFacts {
  deviceName: string;
  deviceType?: number;
  /** The phone's own protocol version (RegisterReq). */
  protocolVersion?: number;
  /** The version in use on the connection (RegisterAck's maxProtocolVer, min of both sides). */
  negotiatedVersion: number;
  stationIp?: string;
  firmware?: string;
  lines: string[];
  /** Media payload types from CapabilitiesRes. */
  codecs: number[];
  keepAliveSeconds?: number;
}

export type StationOutcome =
  | { kind: 'registered' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'unregistered' }
  | { kind: 'answered' }
  | { kind: 'call' }
  | { kind: 'alarm'; text: string }
  | { kind: 'ignored' };

/** Messages the call agent handles. */
const CALL_MESSAGES = new Set<string>(['OffHook', 'OnHook', 'KeypadButton', 'SoftKeyEvent', 'Stimulus', 'OpenReceiveChannelAck', 'StartMediaTransmissionAck']);

export class LocalStation {
  facts: StationFacts | undefined;
  private promptShown = false;

  constructor(
    private readonly config: StationConfig,
    private readonly send: (msg: KnownMessage) => void,
    /** Directory numbers Outpost remembers for a device (online session or cnf.xml). */
    private readonly linesOf: (deviceName: string) => string[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A phone that registered with CUCM through the proxy and is now served here without re-registering. */
  adopt(facts: StationFacts): void {
    this.facts = facts;
    this.showPrompt();
  }

  /** Header version for what Outpost sends: the negotiated version from 17 on, basic below. */
  get version(): number {
    const v = this.facts?.negotiatedVersion ?? 0;
    return v >= MODERN_HEADER ? v : 0;
  }

  handle(msg: SccpMessage): StationOutcome {
    if (msg.kind === 'raw') return { kind: 'ignored' };
    if (is(msg, 'RegisterReq')) return this.register(msg.fields);
    if (!this.facts) {
      if (is(msg, 'Alarm')) return { kind: 'alarm', text: msg.fields.text };
      if (is(msg, 'EnhancedAlarm')) return { kind: 'alarm', text: msg.fields.alarmInfo };
      return { kind: 'ignored' };
    }
    const facts = this.facts;
    switch (msg.name) {
      case 'KeepAliveReq': this.reply('KeepAliveAck'); return { kind: 'answered' };
      case 'IpPort': return { kind: 'answered' };
      case 'CapabilitiesRes': {
        const caps = (msg.fields as FieldsOf<'CapabilitiesRes'>).caps.map((c) => c.payloadCapability);
        facts.codecs = caps;
        return { kind: 'answered' };
      }
      case 'ButtonTemplateReq': {
        const lines = Math.max(1, facts.lines.length);
        this.reply('ButtonTemplateRes', { buttonOffset: 0, buttonCount: lines, totalButtonCount: lines, definition: buttonDefinitions(lines) });
        return { kind: 'answered' };
      }
      case 'SoftKeyTemplateReq':
        this.reply('SoftKeyTemplateRes', { softKeyOffset: 0, softKeyCount: SOFT_KEYS.length, totalSoftKeyCount: SOFT_KEYS.length, definition: SOFT_KEYS });
        return { kind: 'answered' };
      case 'SoftKeySetReq': {
        const sets = softKeySets();
        this.reply('SoftKeySetRes', { softKeySetOffset: 0, softKeySetCount: sets.length, totalSoftKeySetCount: sets.length, definition: sets });
        return { kind: 'answered' };
      }
      case 'ConfigStatReq': {
        const common = { deviceName: facts.deviceName, reserved: 0, instance: 0, numberOfLines: Math.max(1, facts.lines.length), numberOfSpeedDials: 0 };
        if (this.version) this.reply('ConfigStatV2Res', { ...common, userName: '', serverName: this.config.serverName });
        else this.reply('ConfigStatRes', { ...common, userName: '', serverName: this.config.serverName });
        this.reply('SelectSoftKeys', { lineInstance: 0, callReference: 0, softKeySetIndex: SoftKeySet.OnHook, validKeyMask: 0xffffffff });
        return { kind: 'answered' };
      }
      case 'LineStatReq': {
        const n = (msg.fields as FieldsOf<'LineStatReq'>).lineNumber;
        const dn = facts.lines[n - 1] ?? '';
        if (this.version) this.reply('LineStatV2Res', { lineNumber: n, lineType: LINE_TYPE_DN, lineDirNumber: dn, lineFullyQualifiedDisplayName: dn, lineTextLabel: dn });
        else this.reply('LineStatRes', { lineNumber: n, lineDirNumber: dn, lineFullyQualifiedDisplayName: dn });
        return { kind: 'answered' };
      }
      case 'ForwardStatReq':
        this.reply('ForwardStatRes', { activeForward: 0, lineNumber: (msg.fields as FieldsOf<'ForwardStatReq'>).lineNumber });
        return { kind: 'answered' };
      case 'SpeedDialStatReq': {
        const n = (msg.fields as FieldsOf<'SpeedDialStatReq'>).speedDialNumber;
        if (this.version) this.reply('SpeedDialStatV2Res', { speedDialNumber: n, speedDialDirNumber: '', speedDialDisplayName: '' });
        else this.reply('SpeedDialStatRes', { speedDialNumber: n });
        return { kind: 'answered' };
      }
      case 'TimeDateReq':
        this.reply('TimeDateRes', timeDate(this.now()));
        this.showPrompt();
        return { kind: 'answered' };
      case 'RegisterAvailableLines':
        this.showPrompt();
        return { kind: 'answered' };
      case 'UnregisterReq':
        this.reply('UnregisterAck', { status: 0 });
        return { kind: 'unregistered' };
      case 'Alarm': return { kind: 'alarm', text: (msg.fields as FieldsOf<'Alarm'>).text };
      case 'EnhancedAlarm': return { kind: 'alarm', text: (msg.fields as FieldsOf<'EnhancedAlarm'>).alarmInfo };
      default:
        return CALL_MESSAGES.has(msg.name) ? { kind: 'call' } : { kind: 'ignored' };
    }
  }

  private register(req: FieldsOf<'RegisterReq'>): StationOutcome {
    const deviceName = req.deviceName.trim().toUpperCase();
    if (!/^[A-Z0-9]{1,15}$/.test(deviceName)) {
      this.reply('RegisterReject', { text: 'Error: bad device name' });
      return { kind: 'rejected', reason: `device name "${req.deviceName}" is not valid` };
    }
    const phoneVersion = req.protocolVersion ?? 0;
    const negotiated = Math.min(phoneVersion, this.config.maxProtocolVersion);
    this.facts = {
      deviceName, deviceType: req.deviceType, protocolVersion: phoneVersion, negotiatedVersion: negotiated,
      stationIp: req.stationIpAddr, firmware: req.firmwareLoadName || undefined, lines: this.linesOf(deviceName),
      codecs: [Codec.G711Ulaw], keepAliveSeconds: this.config.keepAliveSeconds,
    };
    this.promptShown = false;
    // RegisterAck always goes with a basic header; everything after it uses the negotiated one.
    this.send(message('RegisterAck', {
      keepAliveInterval: this.config.keepAliveSeconds, dateTemplate: this.config.dateTemplate, alignmentPadding: 0,
      secondaryKeepAliveInterval: this.config.secondaryKeepAliveSeconds, maxProtocolVer: negotiated, unknown: 0, phoneFeatures: 0,
    }, 0));
    this.reply('CapabilitiesReq');
    return { kind: 'registered' };
  }

  private showPrompt(): void {
    if (this.promptShown) return;
    this.promptShown = true;
    if (this.version) this.reply('DisplayPromptStatusV2', { timeOutValue: 0, lineInstance: 0, callReference: 0, promptStatus: this.config.prompt });
    else this.reply('DisplayPromptStatus', { timeOutValue: 0, promptStatus: this.config.prompt, lineInstance: 0, callReference: 0 });
  }

  reply<N extends MessageName>(name: N, fields: Partial<FieldsOf<N>> = {}): void {
    this.send(message(name, fields, this.version));
  }
}

export function timeDate(d: Date): Partial<FieldsOf<'TimeDateRes'>> {
  return {
    wYear: d.getFullYear(), wMonth: d.getMonth() + 1, wDayOfWeek: d.getDay(), wDay: d.getDate(), wHour: d.getHours(),
    wMinute: d.getMinutes(), wSecond: d.getSeconds(), wMilliseconds: d.getMilliseconds(), systemTime: Math.floor(d.getTime() / 1000),
  };
}
