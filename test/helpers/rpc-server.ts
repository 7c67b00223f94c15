/**
 * The in-process Hardhat network served over HTTP on 127.0.0.1 (a free port), counting what clients ask
 * for: HTTP requests, JSON-RPC calls (a batch is one request carrying several calls) and calls by method.
 * What a bot sees through `new JsonRpcProvider(url)`, so that request counts are those of a real node.
 */
import http from "http";
import type { AddressInfo } from "net";
import { network } from "hardhat";

export interface RpcCounts {
  requests: number;
  calls: number;
  /** Bytes of the responses (what a long history costs even in few requests). */
  bytes: number;
  methods: Record<string, number>;
}

export interface RpcServer {
  readonly url: string;
  readonly counts: RpcCounts;
  /** Zeroes the counts. */
  reset(): void;
  /** The counts since the last reset, as a copy. */
  snapshot(): RpcCounts;
  /** Counts what `fn` causes (from a reset), and returns them with its result. */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; counts: RpcCounts }>;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: number | string | null;
  method: string;
  params?: unknown[];
}

async function answer(req: JsonRpcRequest): Promise<Record<string, unknown>> {
  try {
    const result = await network.provider.request({ method: req.method, params: req.params ?? [] });
    return { jsonrpc: "2.0", id: req.id ?? null, result };
  } catch (e) {
    const err = e as { code?: number; message?: string; data?: unknown };
    const data = typeof err.data === "object" && err.data !== null && "data" in err.data ? (err.data as { data: unknown }).data : err.data;
    return { jsonrpc: "2.0", id: req.id ?? null, error: { code: err.code ?? -32603, message: err.message ?? String(e), ...(data === undefined ? {} : { data }) } };
  }
}

/** Starts the server on 127.0.0.1 with a port the system picks. */
export async function startRpcServer(): Promise<RpcServer> {
  const counts: RpcCounts = { requests: 0, calls: 0, bytes: 0, methods: {} };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      void (async () => {
        let body: JsonRpcRequest | JsonRpcRequest[];
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
        } catch {
          response.writeHead(400).end();
          return;
        }
        counts.requests += 1;
        const calls = Array.isArray(body) ? body : [body];
        for (const c of calls) {
          counts.calls += 1;
          counts.methods[c.method] = (counts.methods[c.method] ?? 0) + 1;
        }
        // Calls of one batch run in order: a node answers them as if one after the other.
        const out: Record<string, unknown>[] = [];
        for (const c of calls) out.push(await answer(c));
        const text = JSON.stringify(Array.isArray(body) ? out : out[0]);
        counts.bytes += Buffer.byteLength(text);
        response.writeHead(200, { "content-type": "application/json" });
        response.end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const snapshot = (): RpcCounts => ({ requests: counts.requests, calls: counts.calls, bytes: counts.bytes, methods: { ...counts.methods } });
  const reset = () => {
    counts.requests = 0;
    counts.calls = 0;
    counts.bytes = 0;
    counts.methods = {};
  };
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    reset,
    snapshot,
    async measure(fn) {
      reset();
      const result = await fn();
      return { result, counts: snapshot() };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
