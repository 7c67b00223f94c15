/**
 * A JSON-RPC server on 127.0.0.1 (a free port) in front of the in-process Hardhat network, behaving like a
 * hosted provider under load: it refuses an `eth_getLogs` whose result would hold more than `maxLogs` logs,
 * with the error real providers send (Infura's code and message), and can be told to fail requests, as an
 * overloaded upstream does. Reached over real HTTP with ethers' `JsonRpcProvider`, so the SDK sees the
 * errors exactly as it would in production. Counts every method asked for.
 */
import http from "http";
import type { AddressInfo } from "net";
import { network } from "hardhat";
import { JsonRpcProvider, Network } from "ethers";

interface RpcRequest {
  readonly jsonrpc: "2.0";
  readonly id: number | string | null;
  readonly method: string;
  readonly params?: unknown[];
}

/** A failure to inject: the next `times` requests of `method` that `when` accepts get this JSON-RPC error. */
export interface InjectedFailure {
  readonly method: string;
  times: number;
  readonly when?: (params: unknown[]) => boolean;
  readonly error?: { readonly code: number; readonly message: string };
}

export interface RpcProxy {
  readonly url: string;
  /** A provider that reads through the proxy (no caching, the chain id fixed so that no extra calls are made). */
  readonly provider: JsonRpcProvider;
  /** Largest number of logs one `eth_getLogs` may return; above it the request is refused. */
  maxLogs: number;
  /** JSON-RPC methods asked for, in order (batches flattened). */
  readonly calls: string[];
  /** `eth_getLogs` requests refused for their size, as [fromBlock, toBlock]. */
  readonly refused: [number, number][];
  readonly failures: InjectedFailure[];
  close(): Promise<void>;
}

/** The error Infura (and geth-based nodes) send when a log query matches too many logs. */
export const tooManyResults = (limit: number) => ({ code: -32005, message: `query returned more than ${limit} results` });
/** What an overloaded upstream sends. */
export const upstreamTimeout = { code: -32603, message: "request timed out" };

export async function startRpcProxy(o: { maxLogs?: number } = {}): Promise<RpcProxy> {
  const calls: string[] = [];
  const refused: [number, number][] = [];
  const failures: InjectedFailure[] = [];
  const state = { maxLogs: o.maxLogs ?? 10_000 };

  const answer = async (req: RpcRequest) => {
    calls.push(req.method);
    const params = req.params ?? [];
    const failure = failures.find((f) => f.method === req.method && f.times > 0 && (!f.when || f.when(params)));
    if (failure) {
      failure.times--;
      return { jsonrpc: "2.0", id: req.id, error: failure.error ?? upstreamTimeout };
    }
    try {
      const result = await network.provider.request({ method: req.method, params });
      if (req.method === "eth_getLogs" && Array.isArray(result) && result.length > state.maxLogs) {
        const filter = params[0] as { fromBlock?: string; toBlock?: string };
        refused.push([Number(filter.fromBlock ?? 0), Number(filter.toBlock ?? 0)]);
        return { jsonrpc: "2.0", id: req.id, error: tooManyResults(state.maxLogs) };
      }
      return { jsonrpc: "2.0", id: req.id, result };
    } catch (e) {
      const err = e as { code?: number; message?: string; data?: unknown };
      return { jsonrpc: "2.0", id: req.id, error: { code: err.code ?? -32603, message: err.message ?? String(e), ...(err.data === undefined ? {} : { data: err.data }) } };
    }
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      void (async () => {
        let body: unknown;
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
          // Requests of a batch are answered in order, as a node does; concurrency is not what is tested here.
          if (Array.isArray(parsed)) {
            const out = [];
            for (const r of parsed) out.push(await answer(r));
            body = out;
          } else body = await answer(parsed);
        } catch {
          body = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } };
        }
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const chainId = BigInt((await network.provider.request({ method: "eth_chainId" })) as string);
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: Network.from(chainId), cacheTimeout: -1, pollingInterval: 20 });
  return {
    url,
    provider,
    get maxLogs() {
      return state.maxLogs;
    },
    set maxLogs(n: number) {
      state.maxLogs = n;
    },
    calls,
    refused,
    failures,
    async close() {
      provider.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
