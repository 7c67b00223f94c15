/**
 * The admin client: propose risk-increasing changes (one typed helper per `ChangeKind`), list, execute
 * and cancel them, accept the admin role, lengthen delays, and read the vault's whole policy. Like the
 * guardian client, every transaction is also available unsigned through `client.tx` (or
 * `new AdminTransactions(vault)`) for a Safe to sign.
 */
import type { Provider, Signer, TransactionReceipt } from "ethers";
import { decodeChange, encodeChange, type ChangeInput, type ChangeParams } from "../rules/changes";
import { APPROVER_ROLE, CHANGE_KINDS, GRACE_PERIOD, GUARDIAN_ROLE, changeKindOf, statusOf, type ChangeKind, type Status } from "../rules/constants";
import { InvalidInputError, VaultSdkError } from "../errors/base";
import { decodeVaultLog } from "../monitor/events";
import { asReceipt, connectVault, read, send, vaultInterface, type SendOverrides, type SentTransaction, type UnsignedTransaction } from "./transport";
import { requireAddress, requireUint } from "../errors/validate";
import { vaultError } from "../errors/revert";
import { fetchVaultEvents } from "../monitor/watcher";
import { readChange, readOperatorRecord, readOperatorState, readOperators, readTokenState, readTokens, readTripwire } from "./state";

/** One typed helper per change kind, named after it (`setOperatorLimits`, `approveDestination`, ...). */
export type ProposeHelpers<R> = {
  readonly [K in ChangeKind as Uncapitalize<K>]: keyof ChangeInput<K> extends never ? () => R : (input: ChangeInput<K>) => R;
};

function proposeHelpers<R>(fn: (change: ChangeParams) => R): ProposeHelpers<R> {
  const helpers: Record<string, (input?: object) => R> = {};
  for (const kind of CHANGE_KINDS) {
    helpers[kind[0].toLowerCase() + kind.slice(1)] = (input = {}) => fn({ ...input, kind } as ChangeParams);
  }
  return helpers as unknown as ProposeHelpers<R>;
}

/** A proposed change as the vault stores it, with its parameters decoded. */
export interface ChangeInfo {
  readonly id: bigint;
  readonly kind: ChangeKind;
  readonly status: Status;
  /** Earliest execution time. */
  readonly eta: bigint;
  /** Last time it can be executed (eta + GRACE_PERIOD). */
  readonly expiresAt: bigint;
  readonly change: ChangeParams;
}

/** The result of a mined proposal. */
export interface ProposedChange {
  readonly receipt: TransactionReceipt;
  readonly id: bigint;
  readonly eta: bigint;
  readonly change: ChangeParams;
}

/** Everything the vault enforces, read at one block. Amounts in base units, times in seconds. */
export interface VaultPolicy {
  readonly blockNumber: number;
  readonly admin: string;
  readonly pendingAdmin: string;
  readonly recovery: string;
  readonly guardians: readonly string[];
  /** Accounts holding APPROVER_ROLE. */
  readonly approvers: readonly string[];
  readonly window: bigint;
  readonly clockStart: bigint;
  readonly changeDelay: bigint;
  readonly withdrawalDelay: bigint;
  readonly tripwire: { readonly maxCount: number; readonly period: bigint };
  readonly paused: boolean;
  readonly tokens: readonly {
    readonly token: string;
    readonly unitDecimals: number;
    readonly vaultCap: bigint;
    readonly used: bigint;
    readonly available: bigint;
    readonly nextRelease: bigint;
    readonly balance: bigint;
  }[];
  readonly operators: readonly {
    readonly operator: string;
    readonly suspended: boolean;
    readonly tripwireOptedOut: boolean;
    readonly destinations: readonly string[];
    /** Destinations the operator may pay only with an approval (co-signed only). */
    readonly cosignedDestinations: readonly string[];
    readonly limits: readonly {
      readonly token: string;
      /** Whether the operator has limits for the token (set by SetOperatorLimits, even to zero): a co-signed cap needs them. */
      readonly hasLimits: boolean;
      readonly cap: bigint;
      readonly instantLimit: bigint;
      readonly queueCap: bigint;
      readonly used: bigint;
      readonly available: bigint;
      readonly nextRelease: bigint;
      readonly pendingQueued: bigint;
      readonly cosignedCap: bigint;
      readonly cosignedUsed: bigint;
      readonly cosignedAvailable: bigint;
    }[];
  }[];
  /** Proposed changes still pending. */
  readonly pendingChanges: readonly ChangeInfo[];
}

/** Unsigned admin transactions. Pure: validates the arguments and encodes the call. */
export class AdminTransactions {
  readonly vault: string;
  /** `proposeChange(kind, params)` for each kind, params encoded as the NatSpec on `ChangeKind` says. */
  readonly propose: ProposeHelpers<UnsignedTransaction>;

  constructor(vault: string) {
    this.vault = requireAddress(vault, "vault");
    this.propose = proposeHelpers((change) => this.proposeChange(change));
  }

  /** `proposeChange(kind, params)` for any change. */
  proposeChange(change: ChangeParams): UnsignedTransaction {
    const { kindIndex, params } = encodeChange(change);
    return this.call(vaultInterface.encodeFunctionData("proposeChange", [kindIndex, params]));
  }

  /** `executeChange(id)`. */
  executeChange(id: bigint): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("executeChange", [requireUint(id, "id")]));
  }

  /** `cancelChange(id)`. */
  cancelChange(id: bigint): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("cancelChange", [requireUint(id, "id")]));
  }

  /** `acceptAdmin()`, sent by the account an executed `TransferAdmin` named. */
  acceptAdmin(): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("acceptAdmin"));
  }

  /**
   * `removeOperator(operator)`: instant (the admin or a guardian). With `propose.setOperatorLimits` for a
   * new key, the rotation runbook: propose the new key, remove the old one at once.
   */
  removeOperator(operator: string): UnsignedTransaction {
    return this.call(vaultInterface.encodeFunctionData("removeOperator", [requireAddress(operator, "operator")]));
  }

  /** `lengthenDelays(changeDelay, withdrawalDelay)`: instant, each at least its current value. */
  lengthenDelays(d: { changeDelay: bigint; withdrawalDelay: bigint }): UnsignedTransaction {
    const changeDelay = requireUint(d.changeDelay, "changeDelay", 32);
    const withdrawalDelay = requireUint(d.withdrawalDelay, "withdrawalDelay", 32);
    return this.call(vaultInterface.encodeFunctionData("lengthenDelays", [changeDelay, withdrawalDelay]));
  }

  private call(data: string): UnsignedTransaction {
    return { to: this.vault, data, value: 0n };
  }
}

export interface AdminClientOptions {
  readonly vault: string;
  /** Any ethers v6 Signer holding the admin key; optional for a read-only client. */
  readonly signer?: Signer;
  /** Provider for reads; defaults to the signer's. */
  readonly provider?: Provider;
}

export class AdminClient {
  /** The same transactions, unsigned, for a multisig. */
  readonly tx: AdminTransactions;
  /** Sends `proposeChange` for each kind; `wait()` returns the change's id and eta. */
  readonly propose: ProposeHelpers<Promise<SentTransaction<ProposedChange>>>;
  private readonly signer: Signer | undefined;
  private readonly provider: Provider;

  constructor(options: AdminClientOptions) {
    this.tx = new AdminTransactions(options.vault);
    this.signer = options.signer;
    const provider = options.provider ?? options.signer?.provider;
    if (!provider) throw new InvalidInputError("provider", "pass a provider or a signer connected to one");
    this.provider = provider;
    this.propose = proposeHelpers((change) => this.proposeChange(change));
  }

  /** Sends `proposeChange` for any change. Parameters are validated (and encoded) before any network call. */
  async proposeChange(change: ChangeParams, overrides?: SendOverrides): Promise<SentTransaction<ProposedChange>> {
    const tx = this.tx.proposeChange(change);
    return send(this.requireSigner(), tx, (receipt) => {
      const e = this.event(receipt, "ChangeProposed");
      if (e?.name !== "ChangeProposed") throw new VaultSdkError("no ChangeProposed event in the receipt");
      return { receipt, id: e.args.id, eta: e.args.eta, change: decodeChange(changeKindOf(e.args.kind), e.args.params) };
    }, overrides);
  }

  /** Sends `executeChange(id)`. */
  async execute(id: bigint, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.requireSigner(), this.tx.executeChange(id), asReceipt, overrides);
  }

  /** Sends `cancelChange(id)`. */
  async cancel(id: bigint, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.requireSigner(), this.tx.cancelChange(id), asReceipt, overrides);
  }

  /** Sends `removeOperator(operator)`: instant; see `AdminTransactions.removeOperator`. */
  async removeOperator(operator: string, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.requireSigner(), this.tx.removeOperator(operator), asReceipt, overrides);
  }

  /** Sends `acceptAdmin()` (the signer must be the pending admin). */
  async acceptAdmin(overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.requireSigner(), this.tx.acceptAdmin(), asReceipt, overrides);
  }

  /** Sends `lengthenDelays`. */
  async lengthenDelays(d: { changeDelay: bigint; withdrawalDelay: bigint }, overrides?: SendOverrides): Promise<SentTransaction<TransactionReceipt>> {
    return send(this.requireSigner(), this.tx.lengthenDelays(d), asReceipt, overrides);
  }

  /** Reads the chain: one proposed change, decoded. Throws `UnknownChangeError` (preflight) for an unused id. */
  async readChange(id: bigint): Promise<ChangeInfo> {
    const cid = requireUint(id, "id");
    const vault = connectVault(this.tx.vault, this.provider);
    const c = await read(() => readChange(vault, cid));
    return this.changeInfo(cid, c.kind, c.status, c.eta, c.params, id);
  }

  /** Reads the chain: every proposed change (ids 1..changeCount), optionally only those with `status`. */
  async readChanges(options: { status?: Status; blockTag?: number } = {}): Promise<ChangeInfo[]> {
    const vault = connectVault(this.tx.vault, this.provider);
    const blockTag = options.blockTag ?? "latest";
    const count = await read(() => vault.changeCount({ blockTag }));
    const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
    const changes = await read(() => Promise.all(ids.map((id) => readChange(vault, id, { blockTag }))));
    return changes
      .map((c, i) => this.changeInfo(ids[i], c.kind, c.status, c.eta, c.params, ids[i]))
      .filter((c) => options.status === undefined || c.status === options.status);
  }

  /**
   * Reads the chain: the whole policy at one block (the latest unless `blockTag`). Guardians, approvers and
   * (co-signed) destinations cannot be enumerated on-chain, so they are replayed from `RoleGranted`/`RoleRevoked`,
   * `DestinationApproved`/`CosignedDestinationApproved`/`DestinationRevoked` and `OperatorLimitsSet` logs from
   * `fromBlock` (the vault's deployment block).
   */
  async readPolicy(options: { fromBlock: number; blockTag?: number; maxBlockRange?: number }): Promise<VaultPolicy> {
    const vault = connectVault(this.tx.vault, this.provider);
    const blockTag = options.blockTag ?? (await read(() => this.provider.getBlockNumber()));
    const [admin, pendingAdmin, recovery, window, clockStart, changeDelay, withdrawalDelay, [maxCount, period], paused, tokens, operators] =
      await read(() =>
        Promise.all([
          vault.admin({ blockTag }),
          vault.pendingAdmin({ blockTag }),
          vault.recovery({ blockTag }),
          vault.window({ blockTag }),
          vault.clockStart({ blockTag }),
          vault.changeDelay({ blockTag }),
          vault.withdrawalDelay({ blockTag }),
          readTripwire(vault, { blockTag }).then((t) => [t.maxCount, t.period] as const),
          vault.paused({ blockTag }),
          readTokens(vault, { blockTag }),
          readOperators(vault, { blockTag }),
        ]),
      );
    const guardians = new Set<string>();
    const approvers = new Set<string>();
    const destinations = new Map<string, Set<string>>();
    const cosignedDestinations = new Map<string, Set<string>>();
    /** `operator/token` pairs with limits in the operator's current generation. */
    const withLimits = new Set<string>();
    const pair = (operator: string, token: string) => `${operator}/${token}`.toLowerCase();
    const setOf = (m: Map<string, Set<string>>, k: string) => m.get(k) ?? m.set(k, new Set<string>()).get(k)!;
    const events = await fetchVaultEvents({ provider: this.provider, vault: this.tx.vault, fromBlock: options.fromBlock, toBlock: blockTag, maxBlockRange: options.maxBlockRange });
    for (const e of events) {
      if ((e.name === "RoleGranted" || e.name === "RoleRevoked") && (e.args.role === GUARDIAN_ROLE || e.args.role === APPROVER_ROLE)) {
        const set = e.args.role === GUARDIAN_ROLE ? guardians : approvers;
        if (e.name === "RoleGranted") set.add(e.args.account);
        else set.delete(e.args.account);
      } else if (e.name === "OperatorRemoved") {
        // A removal voids every destination and limit of the operator (a new generation starts with none).
        destinations.delete(e.args.operator);
        cosignedDestinations.delete(e.args.operator);
        for (const k of [...withLimits]) if (k.startsWith(`${e.args.operator}/`.toLowerCase())) withLimits.delete(k);
      } else if (e.name === "OperatorLimitsSet") {
        withLimits.add(pair(e.args.operator, e.args.token));
      } else if (e.name === "DestinationApproved") {
        setOf(destinations, e.args.operator).add(e.args.destination);
      } else if (e.name === "CosignedDestinationApproved") {
        setOf(cosignedDestinations, e.args.operator).add(e.args.destination);
      } else if (e.name === "DestinationRevoked") {
        // Revoking clears both the ordinary and the co-signed-only approval.
        destinations.get(e.args.operator)?.delete(e.args.destination);
        cosignedDestinations.get(e.args.operator)?.delete(e.args.destination);
      }
    }
    const tokenRows = await read(() =>
      Promise.all(
        tokens.map(async (token) => {
          const s = await readTokenState(vault, token, { blockTag });
          return { token, unitDecimals: Number(s.unitDecimals), vaultCap: s.vaultCap, used: s.used, available: s.available, nextRelease: s.nextRelease, balance: s.balance };
        }),
      ),
    );
    const operatorRows = await read(() =>
      Promise.all(
        operators.map(async (operator) => {
          const [suspended, tripwireOptedOut, limits] = await Promise.all([
            readOperatorRecord(vault, operator, { blockTag }).then((r) => r.suspended),
            readOperatorRecord(vault, operator, { blockTag }).then((r) => r.tripwireOptedOut),
            Promise.all(
              tokens.map(async (token) => {
                const s = await readOperatorState(vault, operator, token, { blockTag });
                return {
                  token,
                  hasLimits: withLimits.has(pair(operator, token)),
                  cap: s.cap,
                  instantLimit: s.instantLimit,
                  queueCap: s.queueCap,
                  used: s.used,
                  available: s.available,
                  nextRelease: s.nextRelease,
                  pendingQueued: s.pendingQueued,
                  cosignedCap: s.cosignedCap,
                  cosignedUsed: s.cosignedUsed,
                  cosignedAvailable: s.cosignedAvailable,
                };
              }),
            ),
          ]);
          return {
            operator,
            suspended,
            tripwireOptedOut,
            destinations: [...(destinations.get(operator) ?? [])],
            cosignedDestinations: [...(cosignedDestinations.get(operator) ?? [])],
            limits,
          };
        }),
      ),
    );
    return {
      blockNumber: blockTag,
      admin,
      pendingAdmin,
      recovery,
      guardians: [...guardians],
      approvers: [...approvers],
      window,
      clockStart,
      changeDelay,
      withdrawalDelay,
      tripwire: { maxCount: Number(maxCount), period },
      paused,
      tokens: tokenRows,
      operators: operatorRows,
      pendingChanges: await this.readChanges({ status: "Pending", blockTag }),
    };
  }

  private changeInfo(id: bigint, kind: bigint, status: bigint, eta: bigint, params: string, requested: bigint): ChangeInfo {
    const s = statusOf(status);
    if (s === "None") throw vaultError({ name: "UnknownChange", args: { id: requested } }, { source: "preflight" });
    const k = changeKindOf(kind);
    return { id, kind: k, status: s, eta, expiresAt: eta + GRACE_PERIOD, change: decodeChange(k, params) };
  }

  private event(receipt: TransactionReceipt, name: string) {
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== this.tx.vault.toLowerCase()) continue;
      const e = decodeVaultLog(log);
      if (e?.name === name) return e;
    }
    return null;
  }

  private requireSigner(): Signer {
    if (!this.signer) throw new InvalidInputError("signer", "this client was created without a signer; use `client.tx` for unsigned transactions");
    return this.signer;
  }
}
