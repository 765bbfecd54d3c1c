// The SIP side of a simulated Cisco phone: REGISTER with the Contact parameters CUCM expects,
// retransmitted over UDP as RFC 3261 §17.1.2 asks, refreshed on a timer.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { decodeSip, getHeader } from '../sip/message.js';

export interface SipPhoneIdentity {
  mac: string; // 12 hex digits
  deviceName: string;
  dn: string;
  ip: string;
}

export class SipPhone {
  private socket: Socket | undefined;
  private cseq = 1;
  private readonly callId = `${randomBytes(8).toString('hex')}@sim`;
  private readonly tag = randomBytes(4).toString('hex');

  constructor(private readonly me: SipPhoneIdentity, private readonly registrar: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.socket = createSocket('udp4');
    await new Promise<void>((resolve) => this.socket!.bind(5060, this.me.ip, resolve));
  }

  close(): void {
    this.socket?.close();
  }

  /** One REGISTER transaction; resolves to the final status (undefined after Timer F, 32 s... here 10 s). */
  register(expires = 3600): Promise<number | undefined> {
    const sock = this.socket!;
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const msg = Buffer.from([
      `REGISTER sip:${this.registrar.host} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.me.ip}:5060;branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${this.me.dn}@${this.registrar.host}>;tag=${this.tag}`,
      `To: <sip:${this.me.dn}@${this.registrar.host}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${this.cseq++} REGISTER`,
      `Contact: <sip:${this.me.dn}@${this.me.ip}:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-${this.me.mac.toLowerCase()}>";+u.sip!devicename.ccm.cisco.com="${this.me.deviceName}";+u.sip!model.ccm.cisco.com="36670"`,
      'User-Agent: Cisco-CP8845/14.1.1',
      'Supported: replaces,join,sdp-anat,norefersub,resource-priority,extended-refer,X-cisco-callinfo,X-cisco-serviceuri,X-cisco-escapecodes,X-cisco-service-control,X-cisco-srtp-fallback,X-cisco-monrec,X-cisco-config,X-cisco-sis-10.0.0,X-cisco-xsi-8.5.1',
      `Reason: SIP;cause=200;text="cisco-alarm:25 Name=${this.me.deviceName} ActiveLoad=sip8845_65.14-1-1-0001-136 Last=initialized"`,
      `Expires: ${expires}`,
      'Content-Length: 0', '', '',
    ].join('\r\n'));
    return new Promise((resolve) => {
      let wait = 500;
      let timer: NodeJS.Timeout;
      const giveUp = setTimeout(() => done(undefined), 10_000);
      const done = (status: number | undefined) => {
        clearTimeout(timer);
        clearTimeout(giveUp);
        sock.off('message', onMessage);
        resolve(status);
      };
      const onMessage = (buf: Buffer) => {
        const m = decodeSip(buf);
        if (!m.ok || m.value.kind !== 'response' || !getHeader(m.value, 'via')?.includes(branch)) return;
        if (m.value.status >= 200) done(m.value.status);
      };
      const send = () => {
        sock.send(msg, this.registrar.port, this.registrar.host);
        timer = setTimeout(send, wait);
        wait = Math.min(wait * 2, 4000);
      };
      sock.on('message', onMessage);
      send();
    });
  }
}
