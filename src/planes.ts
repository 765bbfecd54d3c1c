// The planes Outpost runs, in start order.
import type { PlaneModule } from './core/plane.js';
import { wanPlane } from './wan/monitor.js';

export const planeModules: PlaneModule[] = [wanPlane];
