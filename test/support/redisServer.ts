/**
 * A throwaway `redis-server` for the shared-state tests: its own free port
 * on loopback, no persistence, a temp dir, stopped when done. Without the
 * binary the Redis tests are skipped, saying so loudly, except in CI
 * (`CI=true` or `TOOLSEAL_REQUIRE_REDIS=1`, which .ci/run sets), where they fail.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The redis-server binary on PATH, or undefined. */
export const REDIS_SERVER: string | undefined = (() => {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const binary = found.stdout.trim();
  return found.status === 0 && binary !== '' ? binary : undefined;
})();

/** Whether a missing redis-server fails the run instead of skipping the Redis tests. */
export const REDIS_REQUIRED = process.env.CI === 'true' || process.env.TOOLSEAL_REQUIRE_REDIS === '1';

/**
 * `describe` for tests that need a real Redis: runs them when redis-server
 * is installed; else fails in CI, or skips them with a warning on stderr.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (REDIS_SERVER !== undefined) {
    describe(name, body);
    return;
  }
  if (REDIS_REQUIRED) {
    describe(name, () => {
      it('needs redis-server (CI=true or TOOLSEAL_REQUIRE_REDIS=1: not skipped)', () => {
        throw new Error('redis-server is not on PATH; .ci/run installs it with apt-get install -y redis-server');
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED: "${name}" needs redis-server on PATH (apt-get install -y redis-server); these Redis tests did not run ***\n\n`);
  describe.skip(name, body);
}

/** A free TCP port on loopback (free when asked; redis-server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server child process on its own port. */
export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toolseal-redis-'));
  log = '';

  private constructor(readonly port: number) {}

  /** Starts one on a free port and waits until it accepts connections. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.startProcess();
    return server;
  }

  /** `redis://127.0.0.1:PORT/DB`. */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops it (SIGKILL: nothing to save) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts it again on the same port (empty: it keeps nothing). */
  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  /** Stops it and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private startProcess(): Promise<void> {
    this.log = '';
    const child = spawn(REDIS_SERVER!, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'no', '--maxmemory-policy', 'noeviction'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${this.log}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        this.log += chunk.toString();
        if (/Ready to accept connections/.test(this.log.slice(-2000))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${this.log}`));
      });
    });
  }
}
