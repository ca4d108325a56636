/**
 * The HTTP side of a simulated ONVIF device: SOAP 1.2 over HTTP POST (ONVIF
 * Core §5.2), WS-Security on every operation not marked pre-auth, SOAP faults
 * with the status codes of the SOAP HTTP binding, plus plain HTTP routes (the
 * snapshot, the /sim admin API). Operations are dispatched on the namespace
 * and local name of the Body's first element, whatever path they were posted
 * to, as most devices do; paths only matter where they carry an identity
 * (PullPoint subscriptions).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ns } from './onvif-namespaces.js';
import type { SimLogger } from './sim-logger.js';
import { SoapFault, onvifFaults, soapEnvelope, soapFaultEnvelope } from './soap-envelope.js';
import { child, readXml, XmlReadError, type XmlElement } from './xml-reader.js';
import type { XmlChild } from './xml-writer.js';
import { UsernameTokenVerifier, type Credentials } from './ws-security.js';

export interface SoapCall {
  /** The Body's first element: the operation and its arguments. */
  readonly operation: XmlElement;
  readonly header: XmlElement | undefined;
  readonly path: string;
  /** The authenticated user (undefined for pre-auth operations). */
  readonly username: string | undefined;
  /** Aborted when the client goes away: long-polls stop waiting. */
  readonly signal: AbortSignal;
}

export type SoapHandler = (call: SoapCall) => XmlChild | Promise<XmlChild>;
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** How the device behaves right now: `offline` resets every device connection; `malformed` answers SOAP with broken XML. */
export type DeviceMode = 'normal' | 'offline' | 'malformed';

export interface OnvifHttpServerOptions {
  host: string;
  port: number;
  users: readonly Credentials[];
  logger: SimLogger;
  mode?: () => DeviceMode;
  maxBodyBytes?: number;
}

interface Route {
  method: string;
  path: string;
  prefix: boolean;
  handler: HttpHandler;
  /** Admin routes keep answering while the simulated device is offline. */
  admin: boolean;
}

const soapContentType = 'application/soap+xml; charset=utf-8';

export class OnvifHttpServer {
  readonly #opts: OnvifHttpServerOptions;
  readonly #verifier: UsernameTokenVerifier;
  readonly #operations = new Map<string, { handler: SoapHandler; preAuth: boolean }>();
  readonly #routes: Route[] = [];
  #server: Server | undefined;
  #port = 0;

  constructor(options: OnvifHttpServerOptions) {
    this.#opts = options;
    this.#verifier = new UsernameTokenVerifier(options.users);
  }

  get port(): number {
    return this.#port;
  }

  /** Registers a SOAP operation by namespace URI and local name. */
  operation(namespace: string, name: string, handler: SoapHandler, options: { preAuth?: boolean } = {}): this {
    this.#operations.set(`${namespace}#${name}`, { handler, preAuth: options.preAuth ?? false });
    return this;
  }

  /** A plain HTTP route; a path ending in '/' matches as a prefix. */
  route(method: string, path: string, handler: HttpHandler, options: { admin?: boolean } = {}): this {
    this.#routes.push({ method, path, prefix: path.endsWith('/'), handler, admin: options.admin ?? false });
    return this;
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#opts.logger('error', 'request failed', { path: req.url, error: String(err) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      });
    });
    // A pull-point long-poll may legitimately hold a request open for minutes.
    server.requestTimeout = 0;
    server.headersTimeout = 30_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, this.#opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://device.invalid');
    const route = this.#routes.find(
      (r) => r.method === req.method && (r.prefix ? url.pathname.startsWith(r.path) : url.pathname === r.path),
    );
    if (route?.admin) return route.handler(req, res, url);
    if (this.#opts.mode?.() === 'offline') {
      // A powered-off or unplugged device: the connection dies without an answer.
      req.socket.destroy();
      return;
    }
    if (route) return route.handler(req, res, url);
    if (url.pathname.startsWith('/onvif/')) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('SOAP endpoints accept POST only');
        return;
      }
      return this.#handleSoap(req, res, url);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  async #handleSoap(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req, this.#opts.maxBodyBytes ?? 1 << 20);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end('request too large');
      req.socket.destroy();
      return;
    }
    if (this.#opts.mode?.() === 'malformed') {
      // A firmware bug: the envelope is cut off mid-element.
      res.writeHead(200, { 'content-type': soapContentType });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${ns.s}"><s:Body><tds:Get`);
      return;
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let opName = '?';
    try {
      const envelope = parseEnvelope(body);
      const operation = envelope.operation;
      opName = operation.name;
      const entry = this.#operations.get(`${operation.ns}#${operation.name}`);
      let username: string | undefined;
      if (!entry?.preAuth) {
        const auth = this.#verifier.verify(envelope.header);
        if (!auth.ok) {
          this.#opts.logger('warn', 'ONVIF request refused', { operation: opName, reason: auth.reason });
          throw onvifFaults.notAuthorized();
        }
        username = auth.username;
      }
      if (!entry) throw onvifFaults.actionNotSupported(operation.name);
      const result = await entry.handler({ operation, header: envelope.header, path: url.pathname, username, signal: abort.signal });
      if (res.destroyed) return;
      this.#opts.logger('debug', 'ONVIF request', { operation: opName });
      res.writeHead(200, { 'content-type': soapContentType });
      res.end(soapEnvelope(result));
    } catch (err) {
      const fault = err instanceof SoapFault ? err : undefined;
      if (!fault) this.#opts.logger('error', 'ONVIF handler failed', { operation: opName, error: String(err) });
      const sent = fault ?? new SoapFault('Receiver', ['ter:Action'], 'internal device error');
      if (fault && !fault.subcodes.includes('ter:NotAuthorized')) {
        this.#opts.logger('info', 'ONVIF fault', { operation: opName, reason: fault.reason });
      }
      if (res.destroyed) return;
      res.writeHead(sent.httpStatus, { 'content-type': soapContentType });
      res.end(soapFaultEnvelope(sent));
    }
  }
}

function parseEnvelope(body: string): { header: XmlElement | undefined; operation: XmlElement } {
  let root: XmlElement;
  try {
    root = readXml(body);
  } catch (err) {
    if (err instanceof XmlReadError) throw onvifFaults.wellFormed(err.message);
    throw err;
  }
  if (root.name === 'Envelope' && root.ns === ns.soap11) throw onvifFaults.versionMismatch();
  if (root.name !== 'Envelope' || root.ns !== ns.s) throw onvifFaults.wellFormed('the root element is not a SOAP 1.2 Envelope');
  const soapBody = child(root, 'Body', ns.s);
  if (!soapBody) throw onvifFaults.wellFormed('the envelope has no Body');
  const operation = soapBody.children[0];
  if (!operation) throw onvifFaults.invalidArgs('the Body is empty');
  return { header: child(root, 'Header', ns.s), operation };
}

/** The request body as UTF-8, or undefined when it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}
