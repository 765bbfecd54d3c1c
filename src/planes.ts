// The planes Outpost runs, in start order.
import type { PlaneModule } from './core/plane.js';
import { dhcpPlane } from './dhcp/plane.js';
import { filesPlane } from './files/plane.js';
import { linkPlane } from './link/plane.js';
import { sccpPlane } from './sccp/plane.js';
import { sipPlane } from './sip/plane.js';
import { wanPlane } from './wan/monitor.js';

export const planeModules: PlaneModule[] = [wanPlane, linkPlane, dhcpPlane, filesPlane, sipPlane, sccpPlane];
