// The planes Outpost runs, in start order.
import type { PlaneModule } from './core/plane.js';
import { filesPlane } from './files/plane.js';
import { sipPlane } from './sip/plane.js';
import { wanPlane } from './wan/monitor.js';

export const planeModules: PlaneModule[] = [wanPlane, filesPlane, sipPlane];
