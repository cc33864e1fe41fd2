import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Names the repository or queue method behind each AWS call: every method of the given classes runs inside an
 * AsyncLocalStorage store holding `Class.method`, so a meter looking at a call (aws-meter.ts) can tell which
 * operation made it — the innermost labelled method wins. Measurement only: it changes no behaviour.
 */
const current = new AsyncLocalStorage<string>();

export const currentOperation = (): string | undefined => current.getStore();

export function labelOperations(classes: Record<string, { prototype: object }>): () => void {
  const restores: (() => void)[] = [];
  for (const [className, cls] of Object.entries(classes)) {
    const prototype = cls.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof descriptor?.value !== 'function') continue;
      const original = descriptor.value as (...args: unknown[]) => unknown;
      const label = `${className}.${name}`;
      // Async generators are consumed after the call returns: their label is taken when iterated, by the caller.
      if (original.constructor.name === 'AsyncGeneratorFunction') continue;
      prototype[name] = function (this: unknown, ...args: unknown[]) {
        return current.run(label, () => original.apply(this, args));
      };
      restores.push(() => {
        prototype[name] = original;
      });
    }
  }
  return () => restores.forEach((restore) => restore());
}
