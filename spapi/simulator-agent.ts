import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * An https.Agent that sends every request — whatever host it names (sellingpartnerapi-eu.amazon.com,
 * api.amazon.com, sim-docs.local…) — over a plain TCP socket to the local simulator
 * ("Recipe A" in the SP-API reference). amazon-sp-api still builds `https://<amazon host>` URLs and
 * a matching Host header, which the simulator dispatches on. No TLS is involved, so use it only
 * against the simulator.
 */
export class SimulatorAgent extends https.Agent {
  /** Port of the simulator on 127.0.0.1. */
  readonly port: number;

  /** @param target the simulator base URL (`http://127.0.0.1:8700`), or just its port. */
  constructor(target: string | number | URL, options: https.AgentOptions = {}) {
    super({ keepAlive: false, ...options });
    this.port = SimulatorAgent.portOf(target);
  }

  static portOf(target: string | number | URL): number {
    if (typeof target === 'number') {
      if (!Number.isInteger(target) || target <= 0 || target > 65535) throw new Error(`SimulatorAgent: invalid port ${target}`);
      return target;
    }
    const url = target instanceof URL ? target : new URL(target);
    const port = Number(url.port);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`SimulatorAgent: ${url.toString()} has no explicit port`);
    return port;
  }

  // Ignores the requested host/port (…amazon.com:443) and connects to the simulator instead.
  override createConnection(_options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    const socket = net.connect({ host: '127.0.0.1', port: this.port });
    if (callback) socket.once('connect', () => callback(null, socket));
    return socket;
  }
}
