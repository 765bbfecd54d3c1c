// What Outpost learns from a registration it relays between a phone and CUCM: device, protocol
// version, keepalive interval, directory numbers, codecs. Pure: messages in, facts and events out.
import { is, type SccpMessage } from './codec.js';
import type { StationFacts } from './station.js';

export type Observation =
  | { kind: 'register-request'; facts: StationFacts }
  | { kind: 'registered'; facts: StationFacts }
  | { kind: 'rejected'; reason: string }
  | { kind: 'lines'; facts: StationFacts }
  | { kind: 'unregistered' }
  | { kind: 'alarm'; text: string };

export class RegistrationObserver {
  facts: StationFacts | undefined;
  /** True once CUCM acknowledged the registration. */
  registered = false;

  constructor(private readonly linesOf: (deviceName: string) => string[]) {}

  fromPhone(msg: SccpMessage): Observation | undefined {
    if (is(msg, 'RegisterReq')) {
      const deviceName = msg.fields.deviceName.trim().toUpperCase();
      const version = msg.fields.protocolVersion ?? 0;
      this.registered = false;
      this.facts = {
        deviceName, deviceType: msg.fields.deviceType, protocolVersion: version, negotiatedVersion: version,
        stationIp: msg.fields.stationIpAddr, firmware: msg.fields.firmwareLoadName || undefined, lines: this.linesOf(deviceName), codecs: [],
      };
      return { kind: 'register-request', facts: this.facts };
    }
    if (is(msg, 'CapabilitiesRes') && this.facts) this.facts.codecs = msg.fields.caps.map((c) => c.payloadCapability);
    if (is(msg, 'UnregisterReq')) return { kind: 'unregistered' };
    if (is(msg, 'Alarm')) return { kind: 'alarm', text: msg.fields.text };
    if (is(msg, 'EnhancedAlarm')) return { kind: 'alarm', text: msg.fields.alarmInfo };
    return undefined;
  }

  fromCucm(msg: SccpMessage): Observation | undefined {
    const facts = this.facts;
    if (!facts) return undefined;
    if (is(msg, 'RegisterAck')) {
      this.registered = true;
      facts.keepAliveSeconds = msg.fields.keepAliveInterval;
      if (msg.fields.maxProtocolVer !== undefined) facts.negotiatedVersion = Math.min(facts.protocolVersion ?? 0, msg.fields.maxProtocolVer);
      return { kind: 'registered', facts };
    }
    if (is(msg, 'RegisterReject')) return { kind: 'rejected', reason: msg.fields.text };
    if (is(msg, 'LineStatRes') || is(msg, 'LineStatV2Res')) {
      const n = msg.fields.lineNumber;
      const dn = msg.fields.lineDirNumber;
      if (n >= 1 && n <= 64 && dn) {
        const lines = [...facts.lines];
        while (lines.length < n - 1) lines.push('');
        lines[n - 1] = dn;
        facts.lines = lines;
        return { kind: 'lines', facts };
      }
    }
    return undefined;
  }
}
