import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../lib/clock.ts';
import { LocalDataKeys, SecretBox } from '../../lib/secret-box.ts';

/**
 * A session-token box over a key of the test process's own, as the local stack's: every store and client a test
 * file builds shares it, so one "container" opens what another sealed.
 */
export const testSessionBox = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
