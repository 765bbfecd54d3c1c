// Basic calls between phones Outpost serves locally: off-hook and dial tone, digits matched
// against the directory numbers of registered phones, ringing, answer, media opened both ways
// (each phone is told to send RTP to the address the other acknowledged), and hang-up from
// either side. No I/O: every message goes out through the endpoint's `send`.
import { is, type FieldsOf, type SccpMessage } from './codec.js';
import { CallState, CallType, Codec, LampMode, RingMode, SoftKey, SoftKeySet, SpeakerMode, Stimulus, Tone, keypadDigit } from './constants.js';
import type { MessageName } from './messages.js';
import { MODERN_HEADER } from './messages.js';

export interface CallEndpoint {
  readonly deviceName: string;
  lines(): string[];
  codecs(): number[];
  /** Header version in use with this phone. */
  version(): number;
  send<N extends MessageName>(name: N, fields?: Partial<FieldsOf<N>>): void;
}

type LegState = 'dialing' | 'ringout' | 'ringin' | 'connected';

interface Leg {
  endpoint: CallEndpoint;
  line: number;
  dn: string;
  callReference: number;
  passThroughPartyId: number;
  state: LegState;
  /** Where this phone receives RTP (from its OpenReceiveChannelAck). */
  media?: { ip: string; port: number };
}

interface Call {
  conferenceId: number;
  caller: Leg;
  callee?: Leg;
  digits: string;
  codec: number;
}

export type CallEvent =
  | { kind: 'dialing' | 'ringing' | 'answered' | 'ended' | 'failed' | 'media'; call: number; from: string; to?: string; detail: string };

const PACKET_MS = 20;

export class CallAgent {
  private readonly endpoints = new Set<CallEndpoint>();
  private readonly calls = new Set<Call>();
  private nextReference = 0x01000000 + Math.floor(Math.random() * 0x00100000);

  constructor(private readonly onEvent: (e: CallEvent) => void = () => undefined) {}

  attach(ep: CallEndpoint): void {
    this.endpoints.add(ep);
  }

  /** The phone left (unregistered or its connection closed): its calls end. */
  detach(ep: CallEndpoint): void {
    for (const call of [...this.calls]) if (this.legOf(call, ep)) this.end(call, `${ep.deviceName} left`);
    this.endpoints.delete(ep);
  }

  /** Calls in progress, for the API. */
  list(): { conferenceId: number; caller: string; callee?: string; state: string; digits: string }[] {
    return [...this.calls].map((c) => ({ conferenceId: c.conferenceId, caller: c.caller.dn || c.caller.endpoint.deviceName, callee: c.callee?.dn, state: c.callee?.state ?? c.caller.state, digits: c.digits }));
  }

  activeCallOf(ep: CallEndpoint): string | undefined {
    const call = [...this.calls].find((c) => this.legOf(c, ep));
    return call && (call.callee?.state ?? call.caller.state);
  }

  handle(ep: CallEndpoint, msg: SccpMessage): void {
    if (is(msg, 'OffHook')) return this.offHook(ep, msg.fields.lineInstance);
    if (is(msg, 'OnHook')) return this.onHook(ep);
    if (is(msg, 'Stimulus')) return msg.fields.stimulus === Stimulus.Line ? this.offHook(ep, msg.fields.stimulusInstance) : undefined;
    if (is(msg, 'KeypadButton')) return this.digit(ep, msg.fields.kpButton);
    if (is(msg, 'SoftKeyEvent')) {
      const key = msg.fields.softKeyEvent;
      if (key === SoftKey.NewCall || key === SoftKey.Answer) return this.offHook(ep, msg.fields.lineInstance);
      if (key === SoftKey.EndCall) return this.onHook(ep);
      return;
    }
    if (is(msg, 'OpenReceiveChannelAck')) return this.receiveChannelOpened(ep, msg.fields);
  }

  private legOf(call: Call, ep: CallEndpoint): Leg | undefined {
    if (call.caller.endpoint === ep) return call.caller;
    if (call.callee?.endpoint === ep) return call.callee;
    return undefined;
  }

  private find(ep: CallEndpoint): { call: Call; leg: Leg } | undefined {
    for (const call of this.calls) {
      const leg = this.legOf(call, ep);
      if (leg) return { call, leg };
    }
    return undefined;
  }

  private newLeg(ep: CallEndpoint, line: number | undefined, state: LegState): Leg {
    const l = line && line > 0 ? line : 1;
    const reference = this.nextReference++;
    return { endpoint: ep, line: l, dn: ep.lines()[l - 1] ?? '', callReference: reference, passThroughPartyId: reference, state };
  }

  private offHook(ep: CallEndpoint, line: number | undefined): void {
    const current = this.find(ep);
    if (current?.leg.state === 'ringin') return this.answer(current.call, current.leg);
    if (current) return; // already in a call: a second off-hook changes nothing
    const leg = this.newLeg(ep, line, 'dialing');
    const call: Call = { conferenceId: leg.callReference, caller: leg, digits: '', codec: Codec.G711Ulaw };
    this.calls.add(call);
    const ref = { lineInstance: leg.line, callReference: leg.callReference };
    ep.send('SetLamp', { stimulus: Stimulus.Line, stimulusInstance: leg.line, lampMode: LampMode.On });
    this.callState(leg, CallState.OffHook);
    ep.send('ActivateCallPlane', { lineInstance: leg.line });
    ep.send('StartTone', { tone: Tone.InsideDialTone, toneDirection: 0, ...ref });
    ep.send('SelectSoftKeys', { ...ref, softKeySetIndex: SoftKeySet.OffHook, validKeyMask: 0xffffffff });
    this.onEvent({ kind: 'dialing', call: call.conferenceId, from: leg.dn, detail: `${ep.deviceName} off hook` });
  }

  private digit(ep: CallEndpoint, button: number): void {
    const found = this.find(ep);
    const d = keypadDigit(button);
    if (!found || found.leg !== found.call.caller || found.leg.state !== 'dialing' || d === undefined) return;
    const { call, leg } = found;
    if (call.digits === '') ep.send('StopTone', { lineInstance: leg.line, callReference: leg.callReference });
    if (d !== '#') call.digits += d;
    const target = [...this.endpoints].find((e) => e.lines().includes(call.digits));
    if (target) return this.ring(call, target);
    const possible = [...this.endpoints].some((e) => e.lines().some((dn) => dn.startsWith(call.digits)));
    if (d === '#' || !possible) {
      ep.send('StartTone', { tone: Tone.ReorderTone, toneDirection: 0, lineInstance: leg.line, callReference: leg.callReference });
      this.callState(leg, CallState.InvalidNumber);
      this.onEvent({ kind: 'failed', call: call.conferenceId, from: leg.dn, to: call.digits, detail: `no local phone has ${call.digits}` });
    }
  }

  private ring(call: Call, target: CallEndpoint): void {
    const caller = call.caller;
    if (target === caller.endpoint || this.find(target)) {
      caller.endpoint.send('StartTone', { tone: Tone.BusyTone, toneDirection: 0, lineInstance: caller.line, callReference: caller.callReference });
      this.callState(caller, CallState.Busy);
      this.onEvent({ kind: 'failed', call: call.conferenceId, from: caller.dn, to: call.digits, detail: `${call.digits} is busy` });
      return;
    }
    const line = target.lines().indexOf(call.digits) + 1;
    const callee = this.newLeg(target, line, 'ringin');
    call.callee = callee;
    caller.state = 'ringout';
    const both = [...target.codecs()].filter((c) => caller.endpoint.codecs().includes(c));
    call.codec = both.includes(Codec.G711Ulaw) || both.length === 0 ? Codec.G711Ulaw : both.includes(Codec.G711Alaw) ? Codec.G711Alaw : Codec.G711Ulaw;

    this.callState(caller, CallState.Proceed);
    this.callState(caller, CallState.RingOut);
    this.callInfo(caller, CallType.OutBound, caller.dn, call.digits);
    caller.endpoint.send('StartTone', { tone: Tone.AlertingTone, toneDirection: 0, lineInstance: caller.line, callReference: caller.callReference });
    caller.endpoint.send('SelectSoftKeys', { lineInstance: caller.line, callReference: caller.callReference, softKeySetIndex: SoftKeySet.RingOut, validKeyMask: 0xffffffff });

    const ref = { lineInstance: callee.line, callReference: callee.callReference };
    this.callState(callee, CallState.RingIn);
    this.callInfo(callee, CallType.InBound, caller.dn, call.digits);
    target.send('SetLamp', { stimulus: Stimulus.Line, stimulusInstance: callee.line, lampMode: LampMode.Blink });
    target.send('SetRinger', { ringMode: RingMode.InsideRing, ringDuration: 1, ...ref });
    target.send('SelectSoftKeys', { ...ref, softKeySetIndex: SoftKeySet.RingIn, validKeyMask: 0xffffffff });
    this.onEvent({ kind: 'ringing', call: call.conferenceId, from: caller.dn, to: call.digits, detail: `${caller.endpoint.deviceName} rings ${target.deviceName}` });
  }

  private answer(call: Call, callee: Leg): void {
    const caller = call.caller;
    callee.state = 'connected';
    caller.state = 'connected';
    callee.endpoint.send('SetRinger', { ringMode: RingMode.RingOff, ringDuration: 0, lineInstance: 0, callReference: 0 });
    callee.endpoint.send('SetLamp', { stimulus: Stimulus.Line, stimulusInstance: callee.line, lampMode: LampMode.On });
    this.callState(callee, CallState.OffHook);
    callee.endpoint.send('ActivateCallPlane', { lineInstance: callee.line });
    caller.endpoint.send('StopTone', { lineInstance: caller.line, callReference: caller.callReference });
    for (const leg of [caller, callee]) {
      this.callState(leg, CallState.Connected);
      leg.endpoint.send('SelectSoftKeys', { lineInstance: leg.line, callReference: leg.callReference, softKeySetIndex: SoftKeySet.Connected, validKeyMask: 0xffffffff });
      this.openReceiveChannel(call, leg);
    }
    this.onEvent({ kind: 'answered', call: call.conferenceId, from: caller.dn, to: callee.dn, detail: `${callee.endpoint.deviceName} answered` });
  }

  private openReceiveChannel(call: Call, leg: Leg): void {
    leg.endpoint.send('OpenReceiveChannel', {
      conferenceId: call.conferenceId, passThroughPartyId: leg.passThroughPartyId, milliSecondPacketSize: PACKET_MS,
      compressionType: call.codec, ecValue: 0, g723BitRate: 0, callReference: leg.callReference,
      ...(leg.endpoint.version() >= MODERN_HEADER ? { dtmfType: 10 } : {}),
    });
  }

  private receiveChannelOpened(ep: CallEndpoint, ack: FieldsOf<'OpenReceiveChannelAck'>): void {
    const found = this.find(ep);
    if (!found || found.leg.passThroughPartyId !== ack.passThroughPartyId || ack.mediaReceptionStatus !== 0) return;
    const { call, leg } = found;
    leg.media = { ip: ack.ipAddr, port: ack.portNumber };
    const other = leg === call.caller ? call.callee : call.caller;
    if (!other) return;
    // The other phone sends its RTP to where this one said it listens.
    other.endpoint.send('StartMediaTransmission', {
      conferenceId: call.conferenceId, passThroughPartyId: other.passThroughPartyId, remoteIpAddr: leg.media.ip, remotePortNumber: leg.media.port,
      milliSecondPacketSize: PACKET_MS, compressionType: call.codec, precedenceValue: 184, ssValue: 0, maxFramesPerPacket: 0, padding: 0,
      g723BitRate: 0, callReference: other.callReference, ...(other.endpoint.version() >= MODERN_HEADER ? { dtmfType: 10 } : {}),
    });
    this.onEvent({ kind: 'media', call: call.conferenceId, from: other.dn, to: leg.dn, detail: `${other.endpoint.deviceName} sends RTP to ${leg.media.ip}:${leg.media.port}` });
  }

  private onHook(ep: CallEndpoint): void {
    const found = this.find(ep);
    if (found) this.end(found.call, `${ep.deviceName} hung up`);
  }

  private end(call: Call, why: string): void {
    this.calls.delete(call);
    for (const leg of [call.caller, call.callee]) {
      if (!leg) continue;
      const ref = { lineInstance: leg.line, callReference: leg.callReference };
      const ep = leg.endpoint;
      if (leg.state === 'connected') {
        ep.send('CloseReceiveChannel', { conferenceId: call.conferenceId, passThroughPartyId: leg.passThroughPartyId, callReference: leg.callReference, portHandlingFlag: 0 });
        ep.send('StopMediaTransmission', { conferenceId: call.conferenceId, passThroughPartyId: leg.passThroughPartyId, callReference: leg.callReference, portHandlingFlag: 0 });
      }
      if (leg.state === 'ringin') ep.send('SetRinger', { ringMode: RingMode.RingOff, ringDuration: 0, lineInstance: 0, callReference: 0 });
      else ep.send('StopTone', ref);
      ep.send('ClearPromptStatus', ref);
      this.callState(leg, CallState.OnHook);
      ep.send('SetLamp', { stimulus: Stimulus.Line, stimulusInstance: leg.line, lampMode: LampMode.Off });
      ep.send('SetSpeakerMode', { speakerMode: SpeakerMode.Off });
      ep.send('SelectSoftKeys', { lineInstance: 0, callReference: 0, softKeySetIndex: SoftKeySet.OnHook, validKeyMask: 0xffffffff });
    }
    this.onEvent({ kind: 'ended', call: call.conferenceId, from: call.caller.dn, to: call.callee?.dn, detail: why });
  }

  private callState(leg: Leg, state: number): void {
    leg.endpoint.send('CallState', { callState: state, lineInstance: leg.line, callReference: leg.callReference, privacy: 0, precedenceLevel: 4, precedenceDomain: 0 });
  }

  private callInfo(leg: Leg, callType: number, calling: string, called: string): void {
    const ref = { lineInstance: leg.line, callReference: leg.callReference, callType };
    if (leg.endpoint.version() >= MODERN_HEADER) {
      leg.endpoint.send('CallInfoV2', {
        ...ref, originalCdpnRedirectReason: 0, lastRedirectingReason: 0, callInstance: 1, callSecurityStatus: 0, partyPIRestrictionBits: 0,
        callingParty: calling, alternateCallingParty: calling, calledParty: called, originalCalledParty: called, lastRedirectingParty: called,
        cgpnVoiceMailbox: '', cdpnVoiceMailbox: '', originalCdpnVoiceMailbox: '', lastRedirectingVoiceMailbox: '',
        callingPartyName: calling, calledPartyName: called, originalCalledPartyName: '', lastRedirectingPartyName: '',
      });
    } else {
      leg.endpoint.send('CallInfo', { callingPartyName: calling, callingParty: calling, calledPartyName: called, calledParty: called, ...ref });
    }
  }
}
