/**
 * Loading the shared-state module on first use: a server without `--state`
 * never loads it, nor the packages it runs on.
 */
import { StateUrlError } from './stateUrl';

/** The packages shared state runs on: optional peer dependencies of toolseal, installed beside it by those who use `--state`. */
export const STATE_PACKAGES = ['bullmq', 'ioredis'] as const;

/**
 * The shared-state module, loaded on first use (a server without `--state`
 * never loads it). When its packages are not installed, a StateUrlError
 * says what to install.
 */
export function loadStateModule(): typeof import('./index') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./index') as typeof import('./index');
  } catch (err) {
    const missing = STATE_PACKAGES.filter((name) => isMissingModule(err, name));
    if (missing.length > 0) throw new StateUrlError(`--state needs the packages ${STATE_PACKAGES.join(' and ')} (${missing.join(', ')} not found): npm install ${STATE_PACKAGES.join(' ')}`);
    throw err;
  }
}

function isMissingModule(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`);
}
