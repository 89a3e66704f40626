/**
 * The `--state` URL: where the shared replay window and job table live.
 * Parsed without loading any Redis code, so a bad URL is refused at start-up
 * (exit code 2) and the in-memory default never pays for the option.
 */

/** A `--state` URL that cannot be used: the message is the one-line reason. */
export class StateUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateUrlError';
  }
}

/** Where the shared state lives, as parsed from `redis://[:PASSWORD@]HOST[:PORT][/DB]`. */
export interface StateLocation {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** The URL without its password, for logs and messages. */
  display: string;
}

const DEFAULT_PORT = 6379;
/** Redis's own default number of databases is 16; a server may be configured with more. */
const MAX_DB = 65_535;

/** Parses a `--state` URL; throws StateUrlError saying what is wrong. */
export function parseStateUrl(text: string): StateLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StateUrlError(`--state must be a URL like redis://HOST:PORT/DB, not ${JSON.stringify(redact(text))}`);
  }
  if (url.protocol !== 'redis:') {
    throw new StateUrlError(`--state supports redis:// URLs only, not ${JSON.stringify(url.protocol.replace(/:$/, ''))}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new StateUrlError('--state names no host (redis://HOST:PORT/DB)');
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new StateUrlError(`--state port must be 1-65535`);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw new StateUrlError(`--state database must be a number (redis://HOST:PORT/DB), not ${JSON.stringify(path)}`);
  const db = path === '' ? 0 : Number(path);
  if (db > MAX_DB) throw new StateUrlError(`--state database must be 0-${MAX_DB}`);
  if (url.search !== '' || url.hash !== '') throw new StateUrlError('--state takes no query or fragment');
  const location: StateLocation = { host, port, db, display: `redis://${url.host}/${db}` };
  if (url.username !== '') location.username = decodeURIComponent(url.username);
  if (url.password !== '') location.password = decodeURIComponent(url.password);
  return location;
}

/** The text with anything that looks like a password taken out. */
function redact(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@').slice(0, 200);
}
