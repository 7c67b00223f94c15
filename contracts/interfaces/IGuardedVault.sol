// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title IGuardedVault
/// @notice A treasury vault for ETH and ERC-20 tokens whose operator keys (trading bots) can move only a
/// bounded, computable amount, only to destinations approved for them. Safety-increasing actions (pause,
/// suspend, lower a limit, revoke a destination) take effect at once; risk-increasing ones (raise a limit,
/// approve a destination, list a token, unpause, change roles, recovery or delays) are proposed, wait for
/// the change delay and can be cancelled by any guardian until they are executed.
///
/// Guarantees, for an operator `o`, a token `t` and any interval of `window()` seconds:
/// - instant outflow by `o` of `t` is at most `o`'s cap for `t` (as configured when each withdrawal ran);
/// - instant outflow of `t` by all operators together is at most the vault-wide cap of `t`;
/// - queued outflow by `o` of `t` is bounded by its queue cap: at any time the pending total is at most
///   the queue cap, and each queued withdrawal waits `withdrawalDelay()` during which guardians can cancel;
/// - funds reach only destinations approved for the operator at execution time, and nothing leaves while
///   the vault is paused or the operator is suspended, except a guardian's evacuation to the recovery
///   address;
/// - funds leave only through an executed withdrawal or an evacuation: there is no arbitrary call,
///   delegatecall or upgrade path;
/// - an instant tightening is never undone by an older proposal: a change proposed before the tightening
///   of its target reverts ChangeOutdated, so loosening again always waits the full change delay;
/// - the vault always has at least two guardians (MIN_GUARDIANS), so one is left to veto a stolen admin
///   key's changes;
/// - operators are plain keys: a caller with code cannot withdraw or queue (it could undo a tripwire);
/// - a removed operator (`removeOperator`, instant) moves nothing more: its limits, destinations and
///   pending queued withdrawals are gone at once, every change proposed for it before is outdated, and
///   only a new timelocked SetOperatorLimits makes the key an operator again, from zero usage and with no
///   destinations. At most MAX_OPERATORS operators exist at once; a removal frees a slot;
/// - co-signed paths (`withdrawCosigned`, `executeWithdrawalEarly`) move funds only with a valid EIP-712
///   approval of that exact withdrawal by a current approver, each approval at most once; what they move
///   by `o` of `t` in any interval of `window()` seconds is at most `o`'s co-signed cap for `t`, and it
///   counts against the vault-wide cap of `t` together with instant withdrawals. An approver alone can
///   move nothing: it cannot call anything that moves funds, and an approver is never an operator.
///
/// Limits are accounted in whole *units* of a token (10**unitDecimals base units, fixed when the token is
/// listed). Every limit (cap, instant limit, queue cap, vault cap) is a whole number of units below 2**36,
/// and unitDecimals is at most 54 (libraries/Constants.sol), so a token of d decimals can have limits up
/// to (2**36 - 1) * 10**(54 - d) whole tokens and a queue can hold its whole queue cap. Each withdrawal
/// counts its amount rounded up to whole units, so accounting can only over-count.
/// The sliding window is kept as a ring of four aligned buckets of `window()/3` seconds; an outflow keeps
/// counting until its bucket leaves the ring, so capacity can come back up to `window()/3` later than an
/// exact sliding window would give it back, and never earlier.
interface IGuardedVault is IAccessControl {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @notice The kinds of risk-increasing change that must be proposed and wait for the change delay.
    /// @dev The `params` of each kind are ABI-encoded as follows:
    /// - SetOperatorLimits: (address operator, address token, uint256 cap, uint256 instantLimit, uint256 queueCap)
    /// - ApproveDestination: (address operator, address destination)
    /// - ListToken: (address token, uint8 unitDecimals, uint256 vaultCap)
    /// - SetVaultCap: (address token, uint256 vaultCap)
    /// - Unpause: ()
    /// - UnsuspendOperator: (address operator)
    /// - SetRecovery: (address recovery)
    /// - SetDelays: (uint32 changeDelay, uint32 withdrawalDelay)
    /// - AddGuardian: (address guardian)
    /// - RemoveGuardian: (address guardian); refused at proposal and at execution if it would leave fewer
    ///   than two guardians (TooFewGuardians)
    /// - TransferAdmin: (address newAdmin)
    /// - SetTripwire: (uint8 maxCount, uint32 period)
    /// - SetTripwireOptOut: (address operator, bool optOut)
    /// - AddApprover: (address approver); refused for an operator (ApproverIsOperator) and for a current
    ///   approver (ApproverStateUnchanged)
    /// - ApproveCosignedDestination: (address operator, address destination): `destination` may be paid by
    ///   `operator` only through `withdrawCosigned`
    /// - SetCosignedCap: (address operator, address token, uint256 cosignedCap); `operator` must be an operator
    ///   with limits for `token` (NotOperator), so that its removal clears the co-signed cap too
    enum ChangeKind {
        SetOperatorLimits,
        ApproveDestination,
        ListToken,
        SetVaultCap,
        Unpause,
        UnsuspendOperator,
        SetRecovery,
        SetDelays,
        AddGuardian,
        RemoveGuardian,
        TransferAdmin,
        SetTripwire,
        SetTripwireOptOut,
        AddApprover,
        ApproveCosignedDestination,
        SetCosignedCap
    }

    /// @notice Lifecycle of a proposed change or a queued withdrawal.
    enum Status {
        None,
        Pending,
        Executed,
        Cancelled
    }

    /// @notice Why the tripwire fired.
    enum TripReason {
        DestinationNotApproved,
        TokenNotAllowed,
        InstantLimitExceeded,
        CapExceeded,
        RateExceeded,
        QueueCapExceeded,
        InvalidApproval,
        CosignedCapExceeded
    }

    /// @notice Limits of one operator for one token, in token base units.
    /// @param operator The operator key.
    /// @param token The token (or `NATIVE` for ETH).
    /// @param cap Most the operator may move instantly in any interval of `window()` seconds.
    /// @param instantLimit Largest single instant withdrawal; anything larger must be queued.
    /// @param queueCap Most the operator may have pending in the withdrawal queue at any time: like `cap`, a
    /// whole number of units below 2**36 units (LimitNotRepresentable otherwise).
    struct OperatorLimits {
        address operator;
        address token;
        uint256 cap;
        uint256 instantLimit;
        uint256 queueCap;
    }

    /// @notice A token listed at deployment.
    /// @param token The token (or `NATIVE` for ETH).
    /// @param unitDecimals Limits are kept in units of 10**unitDecimals base units; at most 54.
    /// @param vaultCap Most all operators together may move instantly in any interval of `window()` seconds.
    struct TokenConfig {
        address token;
        uint8 unitDecimals;
        uint256 vaultCap;
    }

    /// @notice A destination approved for an operator at deployment.
    struct DestinationConfig {
        address operator;
        address destination;
    }

    /// @notice One step of a staged initial policy (see `configure`): a change applied as if executed.
    /// @param kind What it sets.
    /// @param params ABI-encoded parameters, as for `proposeChange`.
    struct ConfigItem {
        ChangeKind kind;
        bytes params;
    }

    /// @notice Everything a vault is deployed with; the initial policy applies in the deployment itself.
    /// With `admin` zero the vault is deployed in stages instead: it is born paused, with no admin and no
    /// guardians (so nothing can move funds or change policy), and its creator completes the policy with
    /// `configure`; the last step names the admin, checks the guardians and lifts the pause.
    /// @param admin The admin (a Safe in production): proposes and executes changes.
    /// @param guardians Guardian accounts: pause, suspend, cancel, evacuate, lower limits; at least two.
    /// @param recovery Cold-storage address that evacuations go to.
    /// @param window Length of the rate-limit window in seconds (a multiple of 3).
    /// @param changeDelay Seconds a proposed change waits before it can be executed.
    /// @param withdrawalDelay Seconds a queued withdrawal waits before it can be executed.
    /// @param tripwireMaxCount Most instant withdrawals per operator and token in one tripwire period (0: off).
    /// @param tripwirePeriod Length in seconds of the tripwire's counting period.
    struct InitConfig {
        address admin;
        address[] guardians;
        address recovery;
        uint32 window;
        uint32 changeDelay;
        uint32 withdrawalDelay;
        uint8 tripwireMaxCount;
        uint32 tripwirePeriod;
        TokenConfig[] tokens;
        OperatorLimits[] limits;
        DestinationConfig[] destinations;
        address[] tripwireOptOuts;
    }

    /// @notice A withdrawal waiting in the queue.
    struct QueuedWithdrawal {
        address operator;
        uint64 eta;
        Status status;
        address token;
        address to;
        uint256 amount;
    }

    /// @notice A proposed risk-increasing change.
    struct Change {
        ChangeKind kind;
        Status status;
        uint64 eta;
        bytes params;
    }

    /// @notice Current accounting of one operator for one token, in token base units.
    /// @param cap Window cap.
    /// @param instantLimit Largest single instant withdrawal.
    /// @param queueCap Most that may be pending in the queue.
    /// @param used Outflow still counted in the current window.
    /// @param available What the operator's own limiter lets out now (ignoring the vault-wide cap).
    /// @param nextRelease Timestamp at which some counted outflow stops counting (0 if none is counted).
    /// @param pendingQueued Total of the operator's pending queued withdrawals of the token.
    /// @param suspended Whether the operator is suspended.
    /// @param cosignedCap Co-signed window cap.
    /// @param cosignedUsed Co-signed outflow still counted in the current window.
    /// @param cosignedAvailable What the co-signed limiter lets out now (ignoring the vault-wide cap).
    struct OperatorState {
        uint256 cap;
        uint256 instantLimit;
        uint256 queueCap;
        uint256 used;
        uint256 available;
        uint256 nextRelease;
        uint256 pendingQueued;
        bool suspended;
        uint256 cosignedCap;
        uint256 cosignedUsed;
        uint256 cosignedAvailable;
    }

    /// @notice Current accounting of one token across the vault, in token base units.
    struct TokenState {
        bool listed;
        uint8 unitDecimals;
        uint256 vaultCap;
        uint256 used;
        uint256 available;
        uint256 nextRelease;
        uint256 balance;
    }

    /// @notice Worst case a key could move within a horizon, if nobody intervenes.
    /// @param instant Bound on instant withdrawals (a stolen operator key alone).
    /// @param queued Bound on queued withdrawals executed within the horizon (a stolen operator key alone).
    /// @param total min(instant + queued, vault balance): what a stolen operator key alone can move.
    /// @param cosigned What the co-signed paths add on top when an approver's key is stolen too: co-signed
    /// withdrawals and early releases share the vault-wide cap with the instant path.
    /// @param totalWithApprover min(instant + cosigned + queued, vault balance): what a stolen operator key
    /// plus a stolen approver can move. A stolen approver alone moves nothing.
    struct Exposure {
        uint256 instant;
        uint256 queued;
        uint256 total;
        uint256 cosigned;
        uint256 totalWithApprover;
    }

    /// @notice An approver's EIP-712 signature of exactly one withdrawal, presented by the operator.
    /// @dev The signed struct is `Approval(address operator,address token,address to,uint256 amount,
    /// uint256 withdrawalId,uint256 nonce,uint256 deadline)` in the domain {name: "GuardedVault", version:
    /// "1", chainId, verifyingContract: the vault}. `operator`, `token`, `to`, `amount` and `withdrawalId`
    /// (0 for `withdrawCosigned`, the queued withdrawal's id for `executeWithdrawalEarly`) come from the
    /// call, so a signature of any other withdrawal does not verify. The approval's EIP-712 digest is
    /// marked used once it moved funds; a second use reverts ApprovalAlreadyUsed.
    /// @param approver The approver: a key (ECDSA, 65-byte r||s||v, low s) or a contract answering
    /// EIP-1271 `isValidSignature(digest, signature)` (a Safe).
    /// @param nonce Any value the approver picks so that two otherwise equal withdrawals differ.
    /// @param deadline Last block timestamp at which the approval is valid (inclusive).
    /// @param signature The ECDSA signature, or whatever the EIP-1271 contract accepts.
    struct Approval {
        address approver;
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice Funds came in through `deposit` or a plain ETH transfer (not emitted for zero ETH).
    event Deposited(address indexed token, address indexed from, uint256 amount);
    /// @notice An operator's instant withdrawal moved funds.
    event Withdrawn(address indexed operator, address indexed token, address indexed to, uint256 amount);
    /// @notice An operator queued a withdrawal; it can be executed from `eta`.
    event WithdrawalQueued(
        uint256 indexed id,
        address indexed operator,
        address indexed token,
        address to,
        uint256 amount,
        uint64 eta
    );
    /// @notice A queued withdrawal was executed and moved funds.
    event WithdrawalExecuted(
        uint256 indexed id,
        address indexed operator,
        address indexed token,
        address to,
        uint256 amount
    );
    /// @notice A queued withdrawal was cancelled.
    event WithdrawalCancelled(uint256 indexed id, address indexed by);
    /// @notice An operator's call broke policy; the operator was suspended instead of the call reverting.
    event TripwireFired(
        address indexed operator,
        address indexed token,
        TripReason indexed reason,
        address to,
        uint256 amount
    );
    /// @notice An operator was suspended (by a guardian, the admin, or the tripwire: `by` is the vault).
    event OperatorSuspended(address indexed operator, address indexed by);
    /// @notice An operator's suspension was lifted by an executed change.
    event OperatorUnsuspended(address indexed operator);
    /// @notice An operator was removed by a guardian or the admin: its limits for every token, its
    /// destinations, suspension and tripwire opt-out are gone, and every withdrawal it had pending in the
    /// queue is cancelled (no `WithdrawalCancelled` is emitted for each: they read as Cancelled from now on).
    /// @param operator The removed operator.
    /// @param by The guardian or admin that removed it.
    event OperatorRemoved(address indexed operator, address indexed by);
    /// @notice The vault was paused.
    event VaultPaused(address indexed by);
    /// @notice The vault was unpaused by an executed change.
    event VaultUnpaused();
    /// @notice A risk-increasing change was proposed.
    event ChangeProposed(uint256 indexed id, ChangeKind indexed kind, bytes params, uint64 eta);
    /// @notice A proposed change took effect.
    event ChangeExecuted(uint256 indexed id, ChangeKind indexed kind);
    /// @notice A proposed change was cancelled.
    event ChangeCancelled(uint256 indexed id, address indexed by);
    /// @notice An operator's limits for a token were set (raised by a change, or lowered at once).
    event OperatorLimitsSet(
        address indexed operator,
        address indexed token,
        uint256 cap,
        uint256 instantLimit,
        uint256 queueCap
    );
    /// @notice A destination was approved for an operator.
    event DestinationApproved(address indexed operator, address indexed destination);
    /// @notice A destination was revoked for an operator.
    event DestinationRevoked(address indexed operator, address indexed destination);
    /// @notice A token was listed.
    event TokenListed(address indexed token, uint8 unitDecimals, uint256 vaultCap);
    /// @notice A token's vault-wide cap was set.
    event VaultCapSet(address indexed token, uint256 vaultCap);
    /// @notice The recovery (cold storage) address was set.
    event RecoverySet(address indexed recovery);
    /// @notice The change and withdrawal delays were set.
    event DelaysSet(uint32 changeDelay, uint32 withdrawalDelay);
    /// @notice The tripwire's rate rule was set.
    event TripwireSet(uint8 maxCount, uint32 period);
    /// @notice An operator opted out of (or back into) the tripwire.
    event TripwireOptOutSet(address indexed operator, bool optOut);
    /// @notice An admin transfer was approved; `newAdmin` must accept it.
    event AdminTransferStarted(address indexed newAdmin);
    /// @notice The admin role moved.
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    /// @notice A destination was approved for an operator's co-signed withdrawals only.
    event CosignedDestinationApproved(address indexed operator, address indexed destination);
    /// @notice An operator's co-signed cap for a token was set (raised by a change, or lowered at once).
    event CosignedCapSet(address indexed operator, address indexed token, uint256 cosignedCap);
    /// @notice An approval moved funds: a co-signed withdrawal (`withdrawalId` 0, followed by `Withdrawn`)
    /// or an early release of queued withdrawal `withdrawalId` (followed by `WithdrawalExecuted`).
    /// @param digest The approval's EIP-712 digest, now used.
    /// @param approver The approver that signed it.
    /// @param operator The operator that presented it.
    /// @param withdrawalId 0 for a co-signed withdrawal, else the queued withdrawal released early.
    event ApprovalUsed(
        bytes32 indexed digest,
        address indexed approver,
        address indexed operator,
        uint256 withdrawalId
    );
    /// @notice A guardian swept funds to the recovery address.
    event Evacuated(address indexed token, address indexed to, uint256 amount, address indexed by);

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice An address argument was zero.
    error ZeroAddress();
    /// @notice An amount argument was zero.
    error ZeroAmount();
    /// @notice The token is not listed.
    error UnknownToken(address token);
    /// @notice The token is already listed.
    error TokenAlreadyListed(address token);
    /// @notice The vault lists as many tokens as it may.
    error TooManyTokens(uint256 max);
    /// @notice The vault has as many operators as it may.
    error TooManyOperators(uint256 max);
    /// @notice The account is not an operator (never was, or was removed); `token` is 0 where none applies.
    error NotOperator(address account, address token);
    /// @notice The caller is neither the admin nor a guardian.
    error NotAdminOrGuardian(address account);
    /// @notice The operator is suspended.
    error OperatorIsSuspended(address operator);
    /// @notice The vault is paused.
    error VaultIsPaused();
    /// @notice The destination is not approved for the operator.
    error DestinationNotApproved(address operator, address destination);
    /// @notice The token is not allowed for this operator.
    error TokenNotAllowed(address operator, address token);
    /// @notice An instant withdrawal exceeded the operator's instant limit; it must be queued.
    error InstantLimitExceeded(address operator, address token, uint256 amount, uint256 instantLimit);
    /// @notice The withdrawal exceeds what the operator's window cap leaves now.
    error CapExceeded(address operator, address token, uint256 requested, uint256 available);
    /// @notice The withdrawal exceeds what the token's vault-wide cap leaves now.
    error VaultCapExceeded(address token, uint256 requested, uint256 available);
    /// @notice The operator made more than `maxCount` withdrawals of the token in one tripwire period.
    error RateExceeded(address operator, address token, uint256 count, uint256 maxCount);
    /// @notice The withdrawal would take the operator's pending queue above its queue cap.
    error QueueCapExceeded(address operator, address token, uint256 requested, uint256 available);
    /// @notice The vault holds less than the amount.
    error InsufficientBalance(address token, uint256 requested, uint256 balance);
    /// @notice The token transfer reverted or returned false.
    error TokenTransferFailed(address token, address to, uint256 amount);
    /// @notice The ETH transfer failed.
    error EthTransferFailed(address to, uint256 amount);
    /// @notice No queued withdrawal has this id.
    error UnknownWithdrawal(uint256 id);
    /// @notice The queued withdrawal is not pending (already executed or cancelled).
    error WithdrawalNotPending(uint256 id, Status status);
    /// @notice The queued withdrawal cannot be executed before `eta`.
    error WithdrawalNotReady(uint256 id, uint64 eta);
    /// @notice The queued withdrawal expired at `expiry`; it can only be cancelled.
    error WithdrawalExpired(uint256 id, uint256 expiry);
    /// @notice Only the operator that queued the withdrawal may execute it.
    error NotWithdrawalOperator(uint256 id, address caller);
    /// @notice No change has this id.
    error UnknownChange(uint256 id);
    /// @notice The change is not pending (already executed or cancelled).
    error ChangeNotPending(uint256 id, Status status);
    /// @notice The change cannot be executed before `eta`.
    error ChangeNotReady(uint256 id, uint64 eta);
    /// @notice The change expired at `expiry`; it can only be cancelled.
    error ChangeExpired(uint256 id, uint256 expiry);
    /// @notice The change was proposed before an instant tightening of the same target (the operator x
    /// token limits, an operator x destination, a token's vault cap, the tripwire, an operator's opt-out,
    /// the delays, the pause, an operator's suspension, the removal of the operator it names, an approver,
    /// or an operator x token co-signed cap); loosening it again
    /// takes a new proposal and its full delay.
    error ChangeOutdated(uint256 id);
    /// @notice A limit is not a whole number of the token's units, or needs more than 36 bits of units.
    error LimitNotRepresentable(uint256 amount, uint256 unit);
    /// @notice The instant limit is above the cap.
    error InstantLimitAboveCap(uint256 instantLimit, uint256 cap);
    /// @notice An instant "lower" call would raise a value; raising must be proposed.
    error NotALowering(uint256 current, uint256 requested);
    /// @notice An instant tripwire change would loosen it; loosening must be proposed.
    error NotATightening();
    /// @notice A delay is outside [MIN_DELAY, MAX_DELAY], or lengthening would shorten it.
    error DelayOutOfRange(uint256 delay);
    /// @notice The window is outside [MIN_WINDOW, MAX_WINDOW] or not a multiple of 3.
    error InvalidWindow(uint256 window);
    /// @notice The tripwire settings are out of range.
    error InvalidTripwire(uint256 maxCount, uint256 period);
    /// @notice unitDecimals is above MAX_UNIT_DECIMALS (54).
    error InvalidUnitDecimals(uint8 unitDecimals);
    /// @notice The account already is / is not a guardian, as the change requires the opposite.
    error GuardianStateUnchanged(address account);
    /// @notice A guardian cannot cancel the change that removes it.
    error CannotCancelOwnRemoval(address guardian);
    /// @notice Roles change only through proposed changes.
    error RoleChangeRequiresProposal();
    /// @notice Only the approved new admin can accept the admin role.
    error NotPendingAdmin(address caller);
    /// @notice The vault is not paused, so there is nothing to unpause.
    error NotPaused();
    /// @notice The operator is not suspended.
    error NotSuspended(address operator);
    /// @notice The change, the config or the renouncement would leave fewer than `min` guardians.
    error TooFewGuardians(uint256 min);
    /// @notice The approval's approver is not (or no longer) an approver of this vault. Trips the tripwire.
    error NotApprover(address account);
    /// @notice The approval's signature does not verify for this exact withdrawal: another signer, other
    /// parameters, vault or chain, a malformed or high-s signature, or an EIP-1271 approver that refused or
    /// reverted. Trips the tripwire.
    error InvalidApproval(address approver, bytes32 digest);
    /// @notice The approval's deadline has passed (it was valid up to and including `deadline`).
    error ApprovalExpired(uint256 deadline);
    /// @notice The approval already moved funds once.
    error ApprovalAlreadyUsed(bytes32 digest);
    /// @notice The co-signed withdrawal exceeds what the operator's co-signed cap leaves now.
    error CosignedCapExceeded(address operator, address token, uint256 requested, uint256 available);
    /// @notice An approver cannot be an operator, nor an operator an approver.
    error ApproverIsOperator(address account);
    /// @notice The account already is an approver.
    error ApproverStateUnchanged(address account);
    /// @notice Operators are plain keys: the caller has code (a contract, or an EIP-7702-delegated
    /// account), which could revert after a tripwire's `false` and undo the suspension.
    error OperatorHasCode(address operator);
    /// @notice `configure` is open only to the contract that created the vault, and only until the step
    /// that names the admin completes the initial policy.
    error SetupClosed(address caller);
    /// @notice A vault deployed in stages gets its guardians and its admin last, in the step that
    /// completes its policy: its constructor takes none.
    error InitialRolesLast();

    // ---------------------------------------------------------------------------------------------
    // Operators
    // ---------------------------------------------------------------------------------------------

    /// @notice Move `amount` of `token` to `to` at once, within the caller's limits.
    /// @dev Breaking policy (destination not approved, token not allowed, above the instant limit, above
    /// the cap, too many withdrawals in a tripwire period) suspends the caller and emits `TripwireFired`
    /// without reverting, unless the caller opted out of the tripwire, in which case it reverts with the
    /// matching error. Exceeding the vault-wide cap only reverts: other operators may have used it.
    /// @param token The token, or `NATIVE` for ETH.
    /// @param to An approved destination of the caller.
    /// Reverts `OperatorHasCode` if the caller has code (operators are plain keys; see `OperatorHasCode`).
    /// @param amount Amount in base units.
    /// @return moved True if funds moved, false if the tripwire fired.
    function withdrawInstant(address token, address to, uint256 amount) external returns (bool moved);

    /// @notice Queue a withdrawal of any size; it can be executed after `withdrawalDelay()`.
    /// @dev The pending queue total of the caller for `token` may not exceed its queue cap. A destination
    /// that is not approved, a token not allowed or a full queue trips the tripwire like `withdrawInstant`;
    /// a caller with code is refused (`OperatorHasCode`).
    /// @param token The token, or `NATIVE` for ETH.
    /// @param to An approved destination of the caller.
    /// @param amount Amount in base units.
    /// @return id The queued withdrawal's id (0 if the tripwire fired).
    function queueWithdrawal(address token, address to, uint256 amount) external returns (uint256 id);

    /// @notice Execute a queued withdrawal once its delay has passed.
    /// @dev Only the operator that queued it; checks pause, suspension and the destination again, and
    /// fails after the grace period `GRACE_PERIOD` past `eta`. Refused with NotOperator once the operator
    /// was removed, and with WithdrawalNotPending(Cancelled) if it was queued before a removal.
    /// @param id The queued withdrawal.
    function executeWithdrawal(uint256 id) external;

    /// @notice Move `amount` of `token` to `to` at once with an approver's approval of exactly this
    /// withdrawal: above the instant limit, and to destinations approved for co-signed withdrawals only.
    /// @dev Bounded by the caller's co-signed cap for `token` per window (`SetCosignedCap`) and by the
    /// token's vault-wide cap, which it shares with instant withdrawals; it does not use the caller's
    /// instant cap, instant limit or tripwire rate. `to` must be approved for the caller, as a destination
    /// or as a co-signed destination. Reverts (moves nothing, trips nothing) on an expired
    /// (`ApprovalExpired`) or used (`ApprovalAlreadyUsed`) approval and on the vault-wide cap. Trips the
    /// tripwire (suspends, returns false; reverts instead if the caller opted out) on an approval that
    /// does not verify (`NotApprover`, `InvalidApproval`: a key that forges approvals is stolen; an honest
    /// client checks the approval before it sends), a destination not approved, or the co-signed cap
    /// (`CosignedCapExceeded`). A caller with code is refused (`OperatorHasCode`).
    /// @param token The token, or `NATIVE` for ETH.
    /// @param to A destination or co-signed destination of the caller.
    /// @param amount Amount in base units.
    /// @param approval The approver's signature of (caller, token, to, amount, withdrawalId 0, nonce, deadline).
    /// @return moved True if funds moved, false if the tripwire fired.
    function withdrawCosigned(address token, address to, uint256 amount, Approval calldata approval)
        external
        returns (bool moved);

    /// @notice Execute the caller's queued withdrawal `id` before its eta, with an approver's approval of
    /// exactly this withdrawal (its id, operator, token, destination and amount).
    /// @dev Pause, suspension, the destination whitelist and the grace period are checked as in
    /// `executeWithdrawal`. Executed before its eta, the amount counts against the caller's co-signed cap
    /// and the token's vault-wide cap, like `withdrawCosigned`; from its eta on, it counts against neither
    /// (it could be executed without an approval), and the approval is still checked and used. A bad
    /// approval or the co-signed cap trips the tripwire as in `withdrawCosigned` (the withdrawal stays
    /// pending); expired or used approvals and the vault-wide cap only revert.
    /// @param id The queued withdrawal.
    /// @param approval The approver's signature of (caller, token, to, amount, withdrawalId id, nonce, deadline).
    /// @return released True if funds moved, false if the tripwire fired.
    function executeWithdrawalEarly(uint256 id, Approval calldata approval) external returns (bool released);

    /// @notice Cancel a pending queued withdrawal.
    /// @dev Any guardian, the admin, or the operator that queued it.
    /// @param id The queued withdrawal.
    function cancelWithdrawal(uint256 id) external;

    /// @notice Pull `amount` of an ERC-20 `token` from the caller into the vault.
    /// @dev ETH is deposited by sending it to the vault. Tokens sent directly are held just the same.
    /// @param token The ERC-20 token.
    /// @param amount Amount in base units.
    function deposit(address token, uint256 amount) external;

    // ---------------------------------------------------------------------------------------------
    // Guardians and admin: instant, safety-increasing
    // ---------------------------------------------------------------------------------------------

    /// @notice Stop every operator outflow (instant and queued) at once. Admin or guardian.
    function pause() external;

    /// @notice Stop every outflow of one operator at once. Admin or guardian.
    /// @param operator The operator to suspend.
    function suspendOperator(address operator) external;

    /// @notice Remove an operator at once, e.g. a key being rotated or after an incident. Admin or guardian.
    /// @dev Safety-increasing, so instant. Zeroes its limits and usage for every token, voids its
    /// destinations and cancels its pending queued withdrawals (their total drops from the queue accounts
    /// and the exposure views at once), clears its suspension and opt-out, and frees its slot under
    /// MAX_OPERATORS. Every SetOperatorLimits, ApproveDestination, UnsuspendOperator or SetTripwireOptOut
    /// change for it proposed before now reverts ChangeOutdated. Its calls are refused with NotOperator.
    /// Adding the key again is a SetOperatorLimits change with its full delay; it starts from zero usage
    /// and no destinations. Reverts NotOperator if `operator` is not one.
    /// @param operator The operator to remove.
    function removeOperator(address operator) external;

    /// @notice Lower an operator's limits for a token at once. Admin or guardian.
    /// @dev Each value must be at most its current value; raising goes through `proposeChange`.
    /// @param limits The new limits.
    function lowerOperatorLimits(OperatorLimits calldata limits) external;

    /// @notice Revoke a destination of an operator at once, as a destination and as a co-signed
    /// destination. Admin or guardian.
    /// @dev Also when it is not approved now: a pending proposal to approve it (ApproveDestination or
    /// ApproveCosignedDestination) becomes outdated.
    /// @param operator The operator.
    /// @param destination The destination to revoke.
    function revokeDestination(address operator, address destination) external;

    /// @notice Lower a token's vault-wide cap at once. Admin or guardian.
    /// @param token The token.
    /// @param vaultCap The new cap, at most the current one.
    function lowerVaultCap(address token, uint256 vaultCap) external;

    /// @notice Tighten the tripwire's rate rule at once. Admin or guardian.
    /// @dev Tighter means enabled with no more withdrawals allowed per no shorter period.
    /// @param maxCount New most withdrawals per period (1..126).
    /// @param period New period in seconds.
    function tightenTripwire(uint8 maxCount, uint32 period) external;

    /// @notice Put an operator back under the tripwire at once. Admin or guardian.
    /// @param operator The operator.
    function optIntoTripwire(address operator) external;

    /// @notice Remove an approver at once. Admin or guardian.
    /// @dev Its approvals, even signed before, no longer verify (`NotApprover`). Also when it is not an
    /// approver now: a pending AddApprover of it becomes outdated (ChangeOutdated).
    /// @param approver The approver to remove.
    function removeApprover(address approver) external;

    /// @notice Lower an operator's co-signed cap for a token at once. Admin or guardian.
    /// @param operator The operator.
    /// @param token The token.
    /// @param cosignedCap The new co-signed cap, at most the current one.
    function lowerCosignedCap(address operator, address token, uint256 cosignedCap) external;

    /// @notice Lengthen the change and withdrawal delays at once. Admin only.
    /// @param changeDelay New change delay, at least the current one.
    /// @param withdrawalDelay New withdrawal delay, at least the current one.
    function lengthenDelays(uint32 changeDelay, uint32 withdrawalDelay) external;

    /// @notice Sweep `amount` of `token` (or `NATIVE`) to the recovery address. Guardian only.
    /// @dev Allowed while paused: it is the way out in an emergency, and goes only to `recovery()`.
    /// @param token The token, or `NATIVE` for ETH; need not be listed.
    /// @param amount Amount in base units; `type(uint256).max` sweeps the whole balance.
    function evacuate(address token, uint256 amount) external;

    // ---------------------------------------------------------------------------------------------
    // Admin: timelocked, risk-increasing
    // ---------------------------------------------------------------------------------------------

    /// @notice Propose a risk-increasing change; it can be executed after `changeDelay()`. Admin only.
    /// @dev `params` are validated now and again at execution. See `ChangeKind` for their encoding.
    /// @param kind What to change.
    /// @param params ABI-encoded parameters.
    /// @return id The change's id.
    function proposeChange(ChangeKind kind, bytes calldata params) external returns (uint256 id);

    /// @notice Apply a proposed change once its delay has passed. Admin only.
    /// @dev Fails after the grace period `GRACE_PERIOD` past its `eta`. Reverts ChangeOutdated if its
    /// target was tightened at once after it was proposed: lowerOperatorLimits (SetOperatorLimits of that
    /// operator and token), revokeDestination (ApproveDestination of that pair), lowerVaultCap (SetVaultCap
    /// of that token), tightenTripwire (SetTripwire), optIntoTripwire (SetTripwireOptOut of that operator),
    /// lengthenDelays (SetDelays), pause (Unpause), a suspension (UnsuspendOperator of that operator),
    /// removeOperator (SetOperatorLimits, ApproveDestination, ApproveCosignedDestination, SetCosignedCap,
    /// UnsuspendOperator, SetTripwireOptOut of it), removeApprover or the approver's own renounceRole
    /// (AddApprover of it), revokeDestination (ApproveCosignedDestination of that pair) and lowerCosignedCap
    /// (SetCosignedCap of that operator and token).
    /// @param id The change.
    function executeChange(uint256 id) external;

    /// @notice Cancel a pending change. Any guardian or the admin.
    /// @dev A guardian cannot cancel the change that removes it.
    /// @param id The change.
    function cancelChange(uint256 id) external;

    /// @notice Apply the next steps of a staged initial policy, each as if a change of its kind were
    /// executed. Only the contract that created the vault (VaultFactory checks every step against the hash
    /// the vault's address commits to), and only until the policy is complete. A `TransferAdmin` step
    /// completes it: it names the admin, requires `MIN_GUARDIANS` guardians and lifts the pause the vault
    /// was born with; until then the vault has no admin and no guardians and is paused.
    /// @param kind What the step sets.
    /// @param params Its ABI-encoded parameters, as for `proposeChange`.
    function configure(ChangeKind kind, bytes calldata params) external;

    /// @notice Accept the admin role after an executed `TransferAdmin` change named the caller.
    function acceptAdmin() external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice Sentinel address that stands for ETH.
    function NATIVE() external view returns (address);

    /// @notice Role of guardians.
    function GUARDIAN_ROLE() external view returns (bytes32);

    /// @notice Role of approvers (`hasRole(APPROVER_ROLE, account)`): they sign approvals of co-signed
    /// withdrawals and early releases; they can call nothing that moves funds.
    function APPROVER_ROLE() external view returns (bytes32);

    /// @notice The admin.
    function admin() external view returns (address);

    /// @notice The account an executed `TransferAdmin` change named, until it accepts.
    function pendingAdmin() external view returns (address);

    /// @notice The recovery (cold storage) address.
    function recovery() external view returns (address);

    /// @notice Length in seconds of the rate-limit window.
    function window() external view returns (uint256);

    /// @notice Time origin of the limiter: buckets of `window() / 3` seconds and tripwire periods are
    /// aligned to it (it is the deployment block's timestamp).
    function clockStart() external view returns (uint256);

    /// @notice Seconds a proposed change waits.
    function changeDelay() external view returns (uint32);

    /// @notice Seconds a queued withdrawal waits.
    function withdrawalDelay() external view returns (uint32);

    /// @notice Whether operator outflows are paused.
    function paused() external view returns (bool);

    /// @notice Number of withdrawals ever queued (ids run from 1 to this).
    function withdrawalCount() external view returns (uint256);

    /// @notice Number of changes ever proposed (ids run from 1 to this).
    function changeCount() external view returns (uint256);

    /// @notice Whether `destination` is approved for `operator`: approved for the operator's current
    /// generation (a removal of the operator voids every approval it had). The check the withdrawal paths
    /// make, for clients that preflight a withdrawal.
    function isApproved(address operator, address destination) external view returns (bool);

    /// @notice Raw storage words of the vault, for lenses and off-chain mirrors that decode them
    /// (`VaultLens`, the SDK's `clients/state`): the limits, accounting and exposure views, the policy
    /// words, the token and operator lists, suspensions, the tripwire settings and opt-outs, queued
    /// withdrawals and proposed changes are read there, not here.
    /// @dev The layout is the one `VaultStorage` documents and a test checks against the compiler's.
    /// @param slots Storage slots to read.
    /// @return values The word stored at each slot, in order.
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory values);
}
