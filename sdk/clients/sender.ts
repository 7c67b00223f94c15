/**
 * Sending for one key with what the client already knows, so that a transaction in steady state costs one
 * JSON-RPC call (`eth_sendRawTransaction`):
 *
 * - the nonce is counted locally from `eth_getTransactionCount(address, "pending")` read once; each send
 *   takes the next one before its first await, so sends made back to back never share a nonce. A send
 *   that fails makes the next one re-read the count from the node (after every send in flight has
 *   settled), which also fills any gap the failure left;
 * - the chain id is read once;
 * - fees follow the latest block the client reads anyway: `maxFeePerGas = 2 * baseFee + priority fee`
 *   (ethers' own rule: room for six full blocks of base-fee growth), the priority fee read at start and
 *   again at most every `feeRefreshMs`; on a chain without base fee, the node's gas price;
 * - the gas limit of a kind of call (e.g. an instant withdrawal of one token) is estimated the first time
 *   and kept with headroom (`estimate * 3/2 + 25,000`: a first transfer to a fresh account or balance
 *   slot costs up to 25,000 more than a later one); calls the caller forces past the preflight, and those
 *   without a kind, are estimated every time;
 * - a signer that can sign locally (a `Wallet`, a KMS or HSM signer implementing `signTransaction`) signs,
 *   and the raw transaction goes out with the provider's `send`; a signer that cannot (a node's account)
 *   gets every field filled in and sends it itself.
 */
import { JsonRpcSigner, Transaction, TransactionResponse, type Provider, type Signer, type TransactionRequest } from "ethers";
import { VaultSdkError } from "../errors/base";
import { toSdkError } from "../errors/revert";
import type { SendOverrides, UnsignedTransaction } from "./transport";
import { read } from "./transport";

/** A provider that can pass a JSON-RPC call through as is (ethers' JsonRpcProvider, BrowserProvider). */
interface RawProvider extends Provider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

const isRaw = (p: Provider): p is RawProvider => typeof (p as Partial<RawProvider>).send === "function";

/** Fees for the next transaction. */
export type FeeState =
  | { readonly kind: "eip1559"; readonly baseFee: bigint; readonly priorityFee: bigint }
  | { readonly kind: "legacy"; readonly gasPrice: bigint };

export interface SenderOptions {
  readonly signer: Signer;
  readonly provider: Provider;
  readonly address: string;
  /** How often the priority fee (or legacy gas price) is read again, in ms (default 60,000). */
  readonly feeRefreshMs?: number;
}

export class KeySender {
  private readonly signer: Signer;
  private readonly provider: Provider;
  readonly address: string;
  private chainId: bigint | null = null;
  private nonce: number | null = null;
  private resync: Promise<number> | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private dispatchTail: Promise<void> = Promise.resolve();
  private fees: FeeState | null = null;
  private priorityFee: bigint | null = null;
  private feesReadAt = 0;
  private readonly feeRefreshMs: number;
  private readonly gasLimits = new Map<string, bigint>();
  /** Whether the signer signs locally; null until the first attempt tells. */
  private localSigning: boolean | null;

  constructor(o: SenderOptions) {
    this.signer = o.signer;
    this.provider = o.provider;
    this.address = o.address;
    this.feeRefreshMs = o.feeRefreshMs ?? 60_000;
    this.localSigning = o.signer instanceof JsonRpcSigner ? false : null;
  }

  /**
   * Reads the chain: chain id, the next nonce and the priority fee (in one batch on a batching provider).
   * Then `observeBlock` with a block's base fee sets the fees; a block without one (a chain before
   * EIP-1559) makes the sender read the gas price instead.
   */
  async load(): Promise<void> {
    const [chainId, nonce, priorityFee] = await Promise.all([
      this.call<string>("eth_chainId", [], async () => (await this.provider.getNetwork()).chainId),
      this.readNonce(),
      this.readPriorityFee().catch(() => null),
    ]);
    this.chainId = BigInt(chainId);
    this.nonce = nonce;
    this.priorityFee = priorityFee === null ? null : BigInt(priorityFee);
    this.feesReadAt = Date.now();
  }

  /** Reads the chain only on a chain without base fee (its gas price), the first time: fees from a block just read. */
  async useBlock(baseFee: bigint | null): Promise<void> {
    if (baseFee !== null && this.priorityFee !== null) {
      this.fees = { kind: "eip1559", baseFee, priorityFee: this.priorityFee };
      return;
    }
    const gasPrice = BigInt(await this.call<string>("eth_gasPrice", [], async () => (await this.provider.getFeeData()).gasPrice ?? 0n));
    this.fees = { kind: "legacy", gasPrice };
  }

  /** No network: takes the base fee of a newer block. */
  observeBlock(baseFee: bigint | null): void {
    if (baseFee !== null && this.fees?.kind === "eip1559") this.fees = { ...this.fees, baseFee };
  }

  /** Reads the chain only when the priority fee (or gas price) is older than `feeRefreshMs`. */
  async refreshFees(): Promise<void> {
    if (!this.fees || Date.now() - this.feesReadAt < this.feeRefreshMs) return;
    this.feesReadAt = Date.now();
    if (this.fees.kind === "eip1559") {
      const priorityFee = BigInt(await this.readPriorityFee());
      this.priorityFee = priorityFee;
      if (this.fees.kind === "eip1559") this.fees = { ...this.fees, priorityFee };
    } else {
      const gasPrice = BigInt(await this.call<string>("eth_gasPrice", [], async () => (await this.provider.getFeeData()).gasPrice ?? 0n));
      this.fees = { kind: "legacy", gasPrice };
    }
  }

  /** The fee fields the next transaction gets. */
  get feeFields(): Pick<TransactionRequest, "type" | "maxFeePerGas" | "maxPriorityFeePerGas" | "gasPrice"> {
    if (!this.fees) throw new VaultSdkError("the sender has not read the chain yet");
    if (this.fees.kind === "legacy") return { type: 0, gasPrice: this.fees.gasPrice };
    return { type: 2, maxPriorityFeePerGas: this.fees.priorityFee, maxFeePerGas: 2n * this.fees.baseFee + this.fees.priorityFee };
  }

  /** The chain id read by `load()`. */
  get chain(): bigint {
    if (this.chainId === null) throw new VaultSdkError("the sender has not read the chain yet");
    return this.chainId;
  }

  /** The nonce the next send takes (null while it must be read again). */
  get nextNonce(): number | null {
    return this.nonce;
  }

  /**
   * Signs and broadcasts `tx`. `gasKey` names the kind of call for the kept gas limit; without it (or with
   * `estimate`), the gas is estimated for this call. Throws SDK errors; a failed send leaves no nonce taken.
   */
  async send(tx: UnsignedTransaction, o: { gasKey?: string; estimate?: boolean; overrides?: SendOverrides } = {}): Promise<TransactionResponse> {
    const overrides = o.overrides ?? {};
    const useKept = o.gasKey !== undefined && !o.estimate && overrides.gasLimit == null;
    const keptGas = useKept ? this.gasLimits.get(o.gasKey!) : undefined;
    // Take the nonce before any await, so that concurrent sends get consecutive ones.
    const ownNonce = overrides.nonce == null;
    const nonce = ownNonce ? (this.nonce !== null ? this.nonce++ : null) : Number(overrides.nonce);
    // Sends reach the node in the order they took their nonces: a node that mines each transaction at once
    // (Hardhat's automine) refuses a nonce ahead of the next one. A provider may reorder requests that are in
    // flight together, so each send waits until the node has answered the previous one before it sends its own.
    const turn = this.dispatchTail;
    let handedOver!: () => void;
    this.dispatchTail = new Promise<void>((resolve) => (handedOver = resolve));
    const work = (async () => {
      const n = nonce ?? (await this.takeNonceAfterResync());
      let gasLimit = overrides.gasLimit != null ? BigInt(overrides.gasLimit) : keptGas;
      if (gasLimit === undefined) {
        const estimate = await read(() => this.provider.estimateGas({ from: this.address, to: tx.to, data: tx.data, value: tx.value }));
        gasLimit = (estimate * 3n) / 2n + 25_000n;
        if (o.gasKey !== undefined && !o.estimate) this.gasLimits.set(o.gasKey, gasLimit);
      }
      const request: TransactionRequest = {
        ...this.feeFields,
        ...overrides,
        chainId: this.chainId ?? undefined,
        nonce: n,
        gasLimit,
        to: tx.to,
        data: tx.data,
        value: tx.value,
      };
      return this.broadcast(request, turn, handedOver);
    })();
    this.inflight.add(work);
    try {
      return await work;
    } catch (e) {
      // Whether or not it reached the node, the count there is the truth: read it again before the next send.
      if (ownNonce) this.nonce = null;
      throw toSdkError(e);
    } finally {
      handedOver();
      this.inflight.delete(work);
    }
  }

  private async broadcast(request: TransactionRequest, turn: Promise<void>, handedOver: () => void): Promise<TransactionResponse> {
    const dispatch = async <T>(fn: () => Promise<T>): Promise<T> => {
      await turn;
      try {
        return await fn();
      } finally {
        handedOver();
      }
    };
    if (this.localSigning !== false) {
      let signed: string | null = null;
      try {
        signed = await this.signer.signTransaction({ ...request, from: this.address });
        this.localSigning = true;
      } catch (e) {
        if (this.localSigning === true || !cannotSign(e)) throw e;
        this.localSigning = false;
      }
      if (signed !== null) return dispatch(() => this.sendRaw(signed!));
    }
    return dispatch(() => this.signer.sendTransaction(request));
  }

  private async sendRaw(signed: string): Promise<TransactionResponse> {
    if (!isRaw(this.provider)) return this.provider.broadcastTransaction(signed);
    const t = Transaction.from(signed);
    const hash = (await this.provider.send("eth_sendRawTransaction", [signed])) as string;
    if (hash.toLowerCase() !== t.hash!.toLowerCase()) throw new VaultSdkError(`the node returned hash ${hash} for transaction ${t.hash}`);
    return new TransactionResponse(
      {
        blockNumber: null,
        blockHash: null,
        hash: t.hash!,
        index: 0,
        type: t.type ?? 0,
        to: t.to,
        from: t.from!,
        nonce: t.nonce,
        gasLimit: t.gasLimit,
        gasPrice: t.gasPrice ?? t.maxFeePerGas ?? 0n,
        maxPriorityFeePerGas: t.maxPriorityFeePerGas,
        maxFeePerGas: t.maxFeePerGas,
        maxFeePerBlobGas: null,
        data: t.data,
        value: t.value,
        chainId: t.chainId,
        signature: t.signature!,
        accessList: t.accessList,
        blobVersionedHashes: null,
        authorizationList: null,
      },
      this.provider,
    );
  }

  private async takeNonceAfterResync(): Promise<number> {
    for (;;) {
      if (this.nonce !== null) return this.nonce++;
      if (!this.resync) {
        this.resync = (async () => {
          // Sends in flight may still take nonces at the node: count after they settle.
          while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
          return this.readNonce();
        })().finally(() => (this.resync = null));
      }
      const n = await this.resync;
      if (this.nonce === null) this.nonce = n;
    }
  }

  private async readNonce(): Promise<number> {
    // Straight to the node: a provider's cache of identical reads would hand back a used nonce.
    return Number(await this.call<string>("eth_getTransactionCount", [this.address, "pending"], () => this.provider.getTransactionCount(this.address, "pending")));
  }

  private readPriorityFee(): Promise<string | bigint | number> {
    return this.call<string>("eth_maxPriorityFeePerGas", [], async () => (await this.provider.getFeeData()).maxPriorityFeePerGas ?? 0n);
  }

  private call<T>(method: string, params: unknown[], fallback: () => Promise<T | bigint | number>): Promise<T | bigint | number> {
    const p = this.provider;
    return read(() => (isRaw(p) ? (p.send(method, params) as Promise<T>) : fallback()));
  }
}

/** Whether a signer's failure to sign says it cannot sign locally at all (a node's account). */
function cannotSign(e: unknown): boolean {
  const err = e as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (err?.code === "UNSUPPORTED_OPERATION" || err?.name === "NotImplementedError") return true;
  return typeof err?.message === "string" && /not (implemented|supported)|does not support|unsupported/i.test(err.message);
}
