// Small network facts the planes need.
import { createSocket } from 'node:dgram';

/** The local address the kernel would use to reach host (no packet is sent). */
export function localAddressToward(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', (e) => { s.close(); reject(e); });
    s.connect(port, host, () => {
      const address = s.address().address;
      s.close();
      resolve(address);
    });
  });
}
