import { composeReconcileDispatch } from '../lib/compositions/reconcile-dispatch.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/reconcile-dispatch.ts); Lambda invokes its `handler`. */
export const { handler } = composeReconcileDispatch(getConfig());
