// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IGuardedVault} from "./interfaces/IGuardedVault.sol";
import {RateLimit} from "./libraries/RateLimit.sol";
import {
    MIN_GUARDIANS,
    MAX_TOKENS,
    MAX_OPERATORS,
    MIN_DELAY,
    MAX_DELAY,
    MIN_WINDOW,
    MAX_WINDOW,
    GRACE_PERIOD,
    MAX_UNIT_DECIMALS,
    MAX_TRIP_COUNT,
    MAX_TRIP_PERIOD
} from "./libraries/Constants.sol";
import {
    PolicyWords,
    COUNT_SHIFT,
    COUNT_MASK,
    HELD,
    UNIT_SHIFT,
    TRIP_MAX_SHIFT,
    TRIP_MAX_MASK,
    TRIP_PERIOD_SHIFT,
    TRIP_PERIOD_MASK,
    PAUSED,
    LISTED
} from "./libraries/PolicyWords.sol";

/// @title GuardedVault
/// @notice Treasury vault whose operator keys can move only a bounded amount, to approved destinations.
/// @dev See IGuardedVault for the guarantees. Storage is laid out for the instant withdrawal, which touches
/// exactly three cold slots: the operator's word for the token, the token's word, and the whitelist entry.
/// Everything else the hot path needs (pause, suspension, tripwire state, caps, unit) is packed into the
/// first two, which is why pausing and suspending write one word per listed token (at most MAX_TOKENS).
/// Only an operator whose word is marked HELD (suspended, or removed once and added again) costs the hot
/// path a fourth slot: its record.
contract GuardedVault is IGuardedVault, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using RateLimit for uint256;
    using PolicyWords for uint256;

    /// @inheritdoc IGuardedVault
    address public constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    /// @inheritdoc IGuardedVault
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @inheritdoc IGuardedVault
    bytes32 public constant APPROVER_ROLE = keccak256("APPROVER_ROLE");

    /// @dev EIP-712 type hash of the domain {name: "GuardedVault", version: "1", chainId, verifyingContract}.
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("GuardedVault");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// @dev EIP-712 type hash of an approval of one withdrawal.
    bytes32 private constant APPROVAL_TYPEHASH = keccak256(
        "Approval(address operator,address token,address to,uint256 amount,uint256 withdrawalId,uint256 nonce,uint256 deadline)"
    );
    /// @dev Bucket length of the rate limiter: window / 3.
    uint256 private immutable BUCKET;
    /// @dev Time origin of the limiter's 32-bit clock.
    uint256 private immutable START;
    /// @dev Who deployed the vault: the only account that may complete a staged initial policy.
    address private immutable CREATOR;

    /// @dev Off the hot path: who is an operator and its own flags; one slot.
    struct OperatorInfo {
        bool registered;
        bool suspended;
        bool tripwireOptOut;
        /// @dev Bit i: the operator has limits for `_tokens[i]` (only those words carry its suspension).
        uint32 limitTokens;
        /// @dev changeCount when the operator was last suspended: an UnsuspendOperator change with an id
        /// up to it was proposed before that suspension and is outdated.
        uint64 suspendedAt;
        /// @dev changeCount when the operator was last removed: every change of its limits, destinations,
        /// suspension or opt-out with an id up to it was proposed before the removal and is outdated.
        uint64 removedAt;
        /// @dev How many times the operator was removed. Its destinations and queued withdrawals carry the
        /// generation they were made in, so a removal ends all of them without a loop.
        uint32 generation;
        /// @dev 1 + the operator's index in `_operators` while it is registered; 0 otherwise.
        uint8 position;
    }

    /// @dev A queued withdrawal as stored: IGuardedVault.QueuedWithdrawal and the generation of its
    /// operator when it was queued (in the token's slot, so queueing writes no extra slot).
    struct Withdrawal {
        address operator;
        uint64 eta;
        Status status;
        address token;
        uint32 generation;
        address to;
        uint256 amount;
    }

    /// @dev One packed policy word. A struct so that the hot path can hold a storage pointer and hash
    /// each mapping key once for both the read and the write.
    struct Word {
        uint256 value;
    }

    /// @dev The co-signed paths' state.
    struct Cosigning {
        /// @dev Co-signed limiter of each operator for each token: a RateLimit word (cap in units, ring, last).
        mapping(address operator => mapping(address token => Word)) words;
        /// @dev Destinations an operator may pay only through a co-signed withdrawal: 1 + the operator's
        /// generation when approved, like `_approved` (`_isCosignedOnly`).
        mapping(address operator => mapping(address destination => uint256 generationPlusOne)) cosignedOnly;
        /// @dev EIP-712 digests of approvals that moved funds.
        mapping(bytes32 digest => bool) used;
    }

    /// @dev Queue accounting of one operator for one token; one slot. The queue cap is in units like every
    /// other limit (below 2**36); the pending total in base units, which any queue cap fits (Constants.sol).
    struct QueueAccount {
        uint40 queueCapUnits;
        uint216 pending;
    }

    mapping(address operator => mapping(address token => Word)) private _operatorWord;
    mapping(address token => Word) private _tokenWord;
    /// @dev 1 + the operator's generation when the destination was approved; approved iff that is the
    /// operator's current generation + 1 (`_isApproved`).
    mapping(address operator => mapping(address destination => uint256 generationPlusOne)) private _approved;
    mapping(address operator => OperatorInfo) private _operatorInfo;
    mapping(address operator => mapping(address token => QueueAccount)) private _queue;
    mapping(uint256 id => Withdrawal) private _withdrawals;
    mapping(uint256 id => Change) private _changes;
    address[] private _tokens;
    address[] private _operators;
    mapping(address token => uint256 position) private _tokenPosition;

    /// @inheritdoc IGuardedVault
    address public admin;
    /// @inheritdoc IGuardedVault
    address public pendingAdmin;
    /// @inheritdoc IGuardedVault
    address public recovery;
    /// @inheritdoc IGuardedVault
    uint32 public changeDelay;
    /// @inheritdoc IGuardedVault
    uint32 public withdrawalDelay;
    uint8 private _tripMax;
    uint32 private _tripPeriod;
    /// @inheritdoc IGuardedVault
    bool public paused;
    /// @dev changeCount when the vault was last paused: an Unpause change with an id up to it is outdated.
    /// Packed with `paused`, so the first pause writes no fresh slot.
    uint64 private _pausedAt;
    /// @dev Current number of guardians (never below MIN_GUARDIANS).
    uint32 private _guardianCount;
    /// @inheritdoc IGuardedVault
    uint256 public withdrawalCount;
    /// @inheritdoc IGuardedVault
    uint256 public changeCount;
    /// @dev For each target a loosening change can touch (see `_targetKey`): changeCount at its last
    /// instant tightening. Executing a change whose id is at most that value reverts ChangeOutdated: it
    /// was proposed before the tightening, and loosening the target again takes a new proposal and its
    /// full delay. Pause and suspension keep the same marker in the slots they already write.
    mapping(bytes32 target => uint256 changeCount) private _tightenedAt;
    /// @dev What the co-signed paths keep; three consecutive slots (VaultStorage names them).
    Cosigning private _cosigning;

    modifier onlyAdmin() {
        if (msg.sender != admin) revert AccessControlUnauthorizedAccount(msg.sender, DEFAULT_ADMIN_ROLE);
        _;
    }

    modifier onlyAdminOrGuardian() {
        if (msg.sender != admin && !hasRole(GUARDIAN_ROLE, msg.sender)) revert NotAdminOrGuardian(msg.sender);
        _;
    }

    /// @notice Deploys a vault with its whole initial policy in force from the first block, or (with a zero
    /// `admin`) paused and without roles until its creator completes the policy with `configure`.
    /// @param config Roles, timing, tokens, operator limits, destinations and tripwire opt-outs.
    constructor(InitConfig memory config) {
        if (config.window < MIN_WINDOW || config.window > MAX_WINDOW || config.window % 3 != 0) {
            revert InvalidWindow(config.window);
        }
        BUCKET = config.window / 3;
        START = block.timestamp;
        CREATOR = msg.sender;
        if (config.admin == address(0)) {
            if (config.guardians.length != 0) revert InitialRolesLast();
            paused = true;
        }
        for (uint256 i; i < config.guardians.length; ++i) {
            _change(ChangeKind.AddGuardian, abi.encode(config.guardians[i]), true, 0);
        }
        _change(ChangeKind.SetRecovery, abi.encode(config.recovery), true, 0);
        _change(ChangeKind.SetDelays, abi.encode(config.changeDelay, config.withdrawalDelay), true, 0);
        _change(ChangeKind.SetTripwire, abi.encode(config.tripwireMaxCount, config.tripwirePeriod), true, 0);
        for (uint256 i; i < config.tokens.length; ++i) {
            TokenConfig memory t = config.tokens[i];
            _change(ChangeKind.ListToken, abi.encode(t.token, t.unitDecimals, t.vaultCap), true, 0);
        }
        for (uint256 i; i < config.limits.length; ++i) {
            _change(ChangeKind.SetOperatorLimits, abi.encode(config.limits[i]), true, 0);
        }
        for (uint256 i; i < config.destinations.length; ++i) {
            DestinationConfig memory d = config.destinations[i];
            _change(ChangeKind.ApproveDestination, abi.encode(d.operator, d.destination), true, 0);
        }
        for (uint256 i; i < config.tripwireOptOuts.length; ++i) {
            _change(ChangeKind.SetTripwireOptOut, abi.encode(config.tripwireOptOuts[i], true), true, 0);
        }
        // Naming the admin completes the policy.
        if (config.admin != address(0)) {
            if (_guardianCount < MIN_GUARDIANS) revert TooFewGuardians(MIN_GUARDIANS);
            _change(ChangeKind.TransferAdmin, abi.encode(config.admin), true, 0);
        }
    }

    /// @inheritdoc IGuardedVault
    function configure(ChangeKind kind, bytes calldata params) external {
        if (msg.sender != CREATOR || admin != address(0)) revert SetupClosed(msg.sender);
        _change(kind, params, true, changeCount);
    }

    /// @notice ETH sent to the vault is held like any deposit.
    /// Nothing is emitted for zero value, so that nobody can fill the vault's logs for free.
    receive() external payable {
        if (msg.value != 0) emit Deposited(NATIVE, msg.sender, msg.value);
    }

    // =============================================================================================
    // Operators
    // =============================================================================================

    /// @inheritdoc IGuardedVault
    function withdrawInstant(address token, address to, uint256 amount) external nonReentrant returns (bool) {
        if (amount == 0) revert ZeroAmount();
        _requireNoCode();
        Word storage tokenSlot = _tokenWord[token];
        uint256 tokenWord = tokenSlot.value;
        if (tokenWord & (LISTED | PAUSED) != LISTED) _revertClosed(token, tokenWord);
        Word storage opSlot = _operatorWord[msg.sender][token];
        uint256 opWord = opSlot.value;
        // Generation 0 unless the word is HELD: then the record says (and refuses a suspended operator).
        uint256 generation;
        if (opWord & HELD != 0) generation = _heldGeneration();
        if (opWord.capOf() == 0) return _rejectUnallowedToken(token, to, amount);
        if (_approved[msg.sender][to] != generation + 1) {
            bytes memory err = abi.encodeWithSelector(DestinationNotApproved.selector, msg.sender, to);
            return _trip(token, to, amount, TripReason.DestinationNotApproved, err);
        }

        uint256 units = _toUnits(amount, PolicyWords.unitOf(tokenWord));
        (uint256 newOpWord, TripReason reason, bool ok) = _chargeOperator(opWord, tokenWord, units);
        if (!ok) return _tripBreach(reason, token, to, amount, opWord, tokenWord);

        opSlot.value = newOpWord;
        tokenSlot.value = _chargeVault(tokenWord, token, amount, units);
        _send(token, to, amount);
        emit Withdrawn(msg.sender, token, to, amount);
        return true;
    }

    /// @inheritdoc IGuardedVault
    function queueWithdrawal(address token, address to, uint256 amount) external nonReentrant returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        _requireNoCode();
        uint256 tokenWord = _requireOpen(token);
        OperatorInfo storage info = _operatorInfo[msg.sender];
        if (!info.registered) revert NotOperator(msg.sender, token);
        if (info.suspended) revert OperatorIsSuspended(msg.sender);
        uint32 generation = info.generation;
        if (_approved[msg.sender][to] != uint256(generation) + 1) {
            bytes memory err = abi.encodeWithSelector(DestinationNotApproved.selector, msg.sender, to);
            _trip(token, to, amount, TripReason.DestinationNotApproved, err);
            return 0;
        }
        QueueAccount memory account = _queue[msg.sender][token];
        if (account.queueCapUnits == 0 && _operatorWord[msg.sender][token].value.capOf() == 0) {
            bytes memory err = abi.encodeWithSelector(TokenNotAllowed.selector, msg.sender, token);
            _trip(token, to, amount, TripReason.TokenNotAllowed, err);
            return 0;
        }
        // A queue cap lowered below what is already pending leaves no room, not an underflow.
        uint256 queueCap = uint256(account.queueCapUnits) * PolicyWords.unitOf(tokenWord);
        uint256 room = queueCap > account.pending ? queueCap - account.pending : 0;
        if (amount > room) {
            bytes memory err = abi.encodeWithSelector(QueueCapExceeded.selector, msg.sender, token, amount, room);
            _trip(token, to, amount, TripReason.QueueCapExceeded, err);
            return 0;
        }

        // amount <= room <= queueCap < 2**216 (Constants.sol), so the cast and the sum are safe.
        _queue[msg.sender][token].pending = account.pending + uint216(amount);
        id = ++withdrawalCount;
        uint64 eta = uint64(block.timestamp + withdrawalDelay);
        _withdrawals[id] = Withdrawal({
            operator: msg.sender,
            eta: eta,
            status: Status.Pending,
            token: token,
            generation: generation,
            to: to,
            amount: amount
        });
        emit WithdrawalQueued(id, msg.sender, token, to, amount, eta);
    }

    /// @inheritdoc IGuardedVault
    function executeWithdrawal(uint256 id) external nonReentrant {
        Withdrawal storage w = _withdrawals[id];
        _requireExecutable(id, w, false);
        _executeQueued(id, w);
    }

    /// @inheritdoc IGuardedVault
    function withdrawCosigned(address token, address to, uint256 amount, Approval calldata approval)
        external
        nonReentrant
        returns (bool)
    {
        if (amount == 0) revert ZeroAmount();
        _requireNoCode();
        uint256 tokenWord = _requireOpen(token);
        OperatorInfo storage info = _operatorInfo[msg.sender];
        if (!info.registered) revert NotOperator(msg.sender, token);
        if (info.suspended) revert OperatorIsSuspended(msg.sender);
        bytes32 digest = _approvalDigest(token, to, amount, 0, approval);
        if (!_checkApproval(digest, approval, token, to, amount)) return false;
        if (!_isApproved(msg.sender, to) && !_isCosignedOnly(msg.sender, to)) {
            bytes memory err = abi.encodeWithSelector(DestinationNotApproved.selector, msg.sender, to);
            return _trip(token, to, amount, TripReason.DestinationNotApproved, err);
        }
        if (!_chargeCosigned(token, to, amount, tokenWord)) return false;
        _useApproval(digest, approval.approver, 0);
        _send(token, to, amount);
        emit Withdrawn(msg.sender, token, to, amount);
        return true;
    }

    /// @inheritdoc IGuardedVault
    function executeWithdrawalEarly(uint256 id, Approval calldata approval) external nonReentrant returns (bool) {
        _requireNoCode();
        Withdrawal storage w = _withdrawals[id];
        uint64 eta = _requireExecutable(id, w, true);
        (address token, address to, uint256 amount) = (w.token, w.to, w.amount);
        bytes32 digest = _approvalDigest(token, to, amount, id, approval);
        if (!_checkApproval(digest, approval, token, to, amount)) return false;
        // From its eta on it could be executed without an approval: nothing to charge.
        if (block.timestamp < eta && !_chargeCosigned(token, to, amount, _tokenWord[token].value)) return false;
        _useApproval(digest, approval.approver, id);
        _executeQueued(id, w);
        return true;
    }

    /// @inheritdoc IGuardedVault
    function cancelWithdrawal(uint256 id) external {
        Withdrawal storage w = _withdrawals[id];
        Status status = _statusOf(w);
        if (status == Status.None) revert UnknownWithdrawal(id);
        if (msg.sender != w.operator && msg.sender != admin && !hasRole(GUARDIAN_ROLE, msg.sender)) {
            revert NotAdminOrGuardian(msg.sender);
        }
        if (status != Status.Pending) revert WithdrawalNotPending(id, status);
        w.status = Status.Cancelled;
        _queue[w.operator][w.token].pending -= uint216(w.amount);
        emit WithdrawalCancelled(id, msg.sender);
    }

    /// @inheritdoc IGuardedVault
    function deposit(address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        if (token == NATIVE || _tokenWord[token].value & LISTED == 0) revert UnknownToken(token);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        // Report what arrived, which differs from `amount` for fee-on-transfer tokens.
        emit Deposited(token, msg.sender, IERC20(token).balanceOf(address(this)) - before);
    }

    // =============================================================================================
    // Guardians and admin: instant, safety-increasing
    // =============================================================================================

    /// @inheritdoc IGuardedVault
    function pause() external onlyAdminOrGuardian {
        if (paused) return;
        _pausedAt = uint64(changeCount);
        _setPaused(true);
        emit VaultPaused(msg.sender);
    }

    /// @inheritdoc IGuardedVault
    function suspendOperator(address operator) external onlyAdminOrGuardian {
        if (!_operatorInfo[operator].registered) revert NotOperator(operator, address(0));
        _suspend(operator, msg.sender);
    }

    /// @inheritdoc IGuardedVault
    function removeOperator(address operator) external onlyAdminOrGuardian {
        OperatorInfo storage info = _operatorInfo[operator];
        if (!info.registered) revert NotOperator(operator, address(0));
        // Its words and queue accounts are non-zero only for tokens it had limits for (at most MAX_TOKENS).
        uint256 mask = info.limitTokens;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                address token = _tokens[i];
                delete _operatorWord[operator][token];
                delete _queue[operator][token];
                delete _cosigning.words[operator][token];
            }
            mask >>= 1;
        }
        // Swap-and-pop: the last operator takes the removed one's place.
        uint256 position = info.position;
        address last = _operators[_operators.length - 1];
        _operators[position - 1] = last;
        _operatorInfo[last].position = uint8(position);
        _operators.pop();
        // A new generation: its destinations and queued withdrawals are void, and every change for it
        // proposed so far is outdated.
        _operatorInfo[operator] = OperatorInfo({
            registered: false,
            suspended: false,
            tripwireOptOut: false,
            limitTokens: 0,
            suspendedAt: 0,
            removedAt: uint64(changeCount),
            generation: info.generation + 1,
            position: 0
        });
        emit OperatorRemoved(operator, msg.sender);
    }

    /// @inheritdoc IGuardedVault
    function lowerOperatorLimits(OperatorLimits calldata limits) external onlyAdminOrGuardian {
        if (!_operatorInfo[limits.operator].registered) revert NotOperator(limits.operator, limits.token);
        uint256 unit = PolicyWords.unitOf(_requireListed(limits.token));
        uint256 word = _operatorWord[limits.operator][limits.token].value;
        _requireLowering(word.capOf() * unit, limits.cap);
        _requireLowering(word.instantLimitOf() * unit, limits.instantLimit);
        _requireLowering(_queue[limits.operator][limits.token].queueCapUnits * unit, limits.queueCap);
        _checkOperatorLimits(limits);
        _tighten(ChangeKind.SetOperatorLimits, limits.operator, limits.token);
        _setOperatorLimits(limits);
    }

    /// @inheritdoc IGuardedVault
    function revokeDestination(address operator, address destination) external onlyAdminOrGuardian {
        // Recorded even if not approved now: a pending proposal to approve it is outdated.
        _tighten(ChangeKind.ApproveDestination, operator, destination);
        if (!_isApproved(operator, destination) && !_isCosignedOnly(operator, destination)) return;
        delete _approved[operator][destination];
        delete _cosigning.cosignedOnly[operator][destination];
        emit DestinationRevoked(operator, destination);
    }

    /// @inheritdoc IGuardedVault
    function lowerVaultCap(address token, uint256 vaultCap) external onlyAdminOrGuardian {
        uint256 word = _tokenWord[token].value;
        if (word & LISTED == 0) revert UnknownToken(token);
        _requireLowering(word.capOf() * PolicyWords.unitOf(word), vaultCap);
        uint256 capUnits = _toLimitUnits(vaultCap, PolicyWords.unitOf(word));
        _tighten(ChangeKind.SetVaultCap, token, address(0));
        _setVaultCap(token, word, capUnits, vaultCap);
    }

    /// @inheritdoc IGuardedVault
    function tightenTripwire(uint8 maxCount, uint32 period) external onlyAdminOrGuardian {
        // Off (0) is the loosest setting; otherwise fewer withdrawals over no shorter a period.
        if (maxCount == 0 || (_tripMax != 0 && (maxCount > _tripMax || period < _tripPeriod))) {
            revert NotATightening();
        }
        _checkTripwire(maxCount, period);
        _tighten(ChangeKind.SetTripwire, address(0), address(0));
        _setTripwire(maxCount, period);
    }

    /// @inheritdoc IGuardedVault
    function optIntoTripwire(address operator) external onlyAdminOrGuardian {
        if (operator == address(0)) revert ZeroAddress();
        _tighten(ChangeKind.SetTripwireOptOut, operator, address(0));
        _setTripwireOptOut(operator, false);
    }

    /// @inheritdoc IGuardedVault
    function removeApprover(address approver) external onlyAdminOrGuardian {
        // Recorded even if not an approver now: a pending proposal to add it is outdated.
        _tighten(ChangeKind.AddApprover, approver, address(0));
        _revokeRole(APPROVER_ROLE, approver);
    }

    /// @inheritdoc IGuardedVault
    function lowerCosignedCap(address operator, address token, uint256 cosignedCap) external onlyAdminOrGuardian {
        uint256 capUnits = _checkCosignedCap(operator, token, cosignedCap);
        uint256 unit = PolicyWords.unitOf(_tokenWord[token].value);
        _requireLowering(_cosigning.words[operator][token].value.capOf() * unit, cosignedCap);
        _tighten(ChangeKind.SetCosignedCap, operator, token);
        _setCosignedCap(operator, token, capUnits, cosignedCap);
    }

    /// @inheritdoc IGuardedVault
    function lengthenDelays(uint32 newChangeDelay, uint32 newWithdrawalDelay) external onlyAdmin {
        if (newChangeDelay < changeDelay) revert DelayOutOfRange(newChangeDelay);
        if (newWithdrawalDelay < withdrawalDelay) revert DelayOutOfRange(newWithdrawalDelay);
        _checkDelay(newChangeDelay);
        _checkDelay(newWithdrawalDelay);
        _tighten(ChangeKind.SetDelays, address(0), address(0));
        _setDelays(newChangeDelay, newWithdrawalDelay);
    }

    /// @inheritdoc IGuardedVault
    function evacuate(address token, uint256 amount) external nonReentrant onlyRole(GUARDIAN_ROLE) {
        if (amount == 0) revert ZeroAmount();
        if (amount == type(uint256).max) {
            amount = _balanceOf(token);
            if (amount == 0) revert ZeroAmount();
        }
        address to = recovery;
        _send(token, to, amount);
        emit Evacuated(token, to, amount, msg.sender);
    }

    // =============================================================================================
    // Admin: timelocked, risk-increasing
    // =============================================================================================

    /// @inheritdoc IGuardedVault
    function proposeChange(ChangeKind kind, bytes calldata params) external onlyAdmin returns (uint256 id) {
        _change(kind, params, false, 0);
        id = ++changeCount;
        uint64 eta = uint64(block.timestamp + changeDelay);
        _changes[id] = Change({kind: kind, status: Status.Pending, eta: eta, params: params});
        emit ChangeProposed(id, kind, params, eta);
    }

    /// @inheritdoc IGuardedVault
    function executeChange(uint256 id) external onlyAdmin {
        Change storage c = _changes[id];
        Status status = c.status;
        if (status == Status.None) revert UnknownChange(id);
        if (status != Status.Pending) revert ChangeNotPending(id, status);
        if (block.timestamp < c.eta) revert ChangeNotReady(id, c.eta);
        if (block.timestamp > c.eta + GRACE_PERIOD) revert ChangeExpired(id, c.eta + GRACE_PERIOD);
        c.status = Status.Executed;
        // An instant tightening of the same target after the proposal makes it outdated (ChangeOutdated).
        _change(c.kind, c.params, true, id);
        emit ChangeExecuted(id, c.kind);
    }

    /// @inheritdoc IGuardedVault
    function cancelChange(uint256 id) external onlyAdminOrGuardian {
        Change storage c = _changes[id];
        Status status = c.status;
        if (status == Status.None) revert UnknownChange(id);
        if (status != Status.Pending) revert ChangeNotPending(id, status);
        if (c.kind == ChangeKind.RemoveGuardian && abi.decode(c.params, (address)) == msg.sender) {
            revert CannotCancelOwnRemoval(msg.sender);
        }
        c.status = Status.Cancelled;
        emit ChangeCancelled(id, msg.sender);
    }

    /// @inheritdoc IGuardedVault
    function acceptAdmin() external {
        if (msg.sender != pendingAdmin) revert NotPendingAdmin(msg.sender);
        address previous = admin;
        _revokeRole(DEFAULT_ADMIN_ROLE, previous);
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        admin = msg.sender;
        pendingAdmin = address(0);
        emit AdminTransferred(previous, msg.sender);
    }

    /// @notice Roles change only through proposed changes (AddGuardian, RemoveGuardian, TransferAdmin).
    function grantRole(bytes32, address) public pure override(AccessControl, IAccessControl) {
        revert RoleChangeRequiresProposal();
    }

    /// @notice Roles change only through proposed changes (AddGuardian, RemoveGuardian, TransferAdmin).
    function revokeRole(bytes32, address) public pure override(AccessControl, IAccessControl) {
        revert RoleChangeRequiresProposal();
    }

    /// @notice A guardian may give up its own role at once, unless that would leave fewer than
    /// MIN_GUARDIANS (TooFewGuardians); the admin role moves only by TransferAdmin.
    function renounceRole(bytes32 role, address callerConfirmation) public override(AccessControl, IAccessControl) {
        if (role == DEFAULT_ADMIN_ROLE) revert RoleChangeRequiresProposal();
        // An approver giving up its role outdates a pending proposal to add it back, like removeApprover.
        if (role == APPROVER_ROLE) _tighten(ChangeKind.AddApprover, callerConfirmation, address(0));
        super.renounceRole(role, callerConfirmation);
    }

    // =============================================================================================
    // Views
    // =============================================================================================

    /// @inheritdoc IGuardedVault
    function window() external view returns (uint256) {
        return BUCKET * 3;
    }

    /// @inheritdoc IGuardedVault
    function clockStart() external view returns (uint256) {
        return START;
    }

    /// @inheritdoc IGuardedVault
    function isApproved(address operator, address destination) external view returns (bool) {
        return _isApproved(operator, destination);
    }

    /// @inheritdoc IGuardedVault
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory values) {
        values = new bytes32[](slots.length);
        for (uint256 i; i < slots.length; ++i) {
            bytes32 slot = slots[i];
            bytes32 value;
            assembly ("memory-safe") {
                value := sload(slot)
            }
            values[i] = value;
        }
    }

    // =============================================================================================
    // Internal
    // =============================================================================================

    /// @dev Decodes, validates and (if `commit`) applies one change. Proposals run it with `commit` false
    /// so that a bad change is refused when proposed, and execution runs the same checks again, and then
    /// refuses change `id` if its target was tightened at once after it was proposed (id 0: the
    /// constructor's initial policy).
    function _change(ChangeKind kind, bytes memory params, bool commit, uint256 id) private {
        if (kind == ChangeKind.SetOperatorLimits) {
            OperatorLimits memory limits = abi.decode(params, (OperatorLimits));
            _checkOperatorLimits(limits);
            if (commit) {
                _requireCurrentOperator(id, kind, limits.operator, limits.token);
                _setOperatorLimits(limits);
            }
        } else if (kind == ChangeKind.ApproveDestination) {
            (address operator, address destination) = abi.decode(params, (address, address));
            if (operator == address(0) || destination == address(0)) revert ZeroAddress();
            if (commit) _requireCurrentOperator(id, kind, operator, destination);
            if (commit && !_isApproved(operator, destination)) {
                _approved[operator][destination] = uint256(_operatorInfo[operator].generation) + 1;
                emit DestinationApproved(operator, destination);
            }
        } else if (kind == ChangeKind.ListToken) {
            (address token, uint8 unitDecimals, uint256 vaultCap) = abi.decode(params, (address, uint8, uint256));
            if (token == address(0)) revert ZeroAddress();
            if (_tokenWord[token].value & LISTED != 0) revert TokenAlreadyListed(token);
            if (_tokens.length >= MAX_TOKENS) revert TooManyTokens(MAX_TOKENS);
            if (unitDecimals > MAX_UNIT_DECIMALS) revert InvalidUnitDecimals(unitDecimals);
            uint256 capUnits = _toLimitUnits(vaultCap, 10 ** unitDecimals);
            if (commit) _listToken(token, unitDecimals, capUnits, vaultCap);
        } else if (kind == ChangeKind.SetVaultCap) {
            (address token, uint256 vaultCap) = abi.decode(params, (address, uint256));
            uint256 word = _requireListed(token);
            uint256 capUnits = _toLimitUnits(vaultCap, PolicyWords.unitOf(word));
            if (commit) {
                _requireCurrent(id, kind, token, address(0));
                _setVaultCap(token, word, capUnits, vaultCap);
            }
        } else if (kind == ChangeKind.Unpause) {
            if (!paused) revert NotPaused();
            if (commit) {
                _requireCurrentAt(id, _pausedAt);
                _setPaused(false);
                emit VaultUnpaused();
            }
        } else if (kind == ChangeKind.UnsuspendOperator) {
            address operator = abi.decode(params, (address));
            // A removal clears the suspension: an older proposal is outdated rather than NotSuspended.
            if (commit) _requireCurrentAt(id, _operatorInfo[operator].removedAt);
            if (!_operatorInfo[operator].suspended) revert NotSuspended(operator);
            if (commit) {
                _requireCurrentAt(id, _operatorInfo[operator].suspendedAt);
                _setSuspendedBits(operator, false);
                emit OperatorUnsuspended(operator);
            }
        } else if (kind == ChangeKind.SetRecovery) {
            address newRecovery = abi.decode(params, (address));
            if (newRecovery == address(0)) revert ZeroAddress();
            if (commit) {
                recovery = newRecovery;
                emit RecoverySet(newRecovery);
            }
        } else if (kind == ChangeKind.SetDelays) {
            (uint32 newChangeDelay, uint32 newWithdrawalDelay) = abi.decode(params, (uint32, uint32));
            _checkDelay(newChangeDelay);
            _checkDelay(newWithdrawalDelay);
            if (commit) {
                _requireCurrent(id, kind, address(0), address(0));
                _setDelays(newChangeDelay, newWithdrawalDelay);
            }
        } else if (kind == ChangeKind.AddGuardian || kind == ChangeKind.RemoveGuardian) {
            address account = abi.decode(params, (address));
            if (account == address(0)) revert ZeroAddress();
            bool add = kind == ChangeKind.AddGuardian;
            if (hasRole(GUARDIAN_ROLE, account) == add) revert GuardianStateUnchanged(account);
            if (!add && _guardianCount <= MIN_GUARDIANS) revert TooFewGuardians(MIN_GUARDIANS);
            if (commit) {
                if (add) _grantRole(GUARDIAN_ROLE, account);
                else _revokeRole(GUARDIAN_ROLE, account);
            }
        } else if (kind == ChangeKind.TransferAdmin) {
            address newAdmin = abi.decode(params, (address));
            if (newAdmin == address(0)) revert ZeroAddress();
            if (commit) {
                if (admin == address(0)) _completeSetup(newAdmin);
                else _startAdminTransfer(newAdmin);
            }
        } else if (kind == ChangeKind.SetTripwire) {
            (uint8 maxCount, uint32 period) = abi.decode(params, (uint8, uint32));
            _checkTripwire(maxCount, period);
            if (commit) {
                _requireCurrent(id, kind, address(0), address(0));
                _setTripwire(maxCount, period);
            }
        } else if (kind == ChangeKind.SetTripwireOptOut) {
            (address operator, bool optOut) = abi.decode(params, (address, bool));
            if (operator == address(0)) revert ZeroAddress();
            if (commit) {
                _requireCurrentOperator(id, kind, operator, address(0));
                _setTripwireOptOut(operator, optOut);
            }
        } else {
            _changeCosigning(kind, params, commit, id);
        }
    }

    /// @dev `_change` for the co-signing kinds: AddApprover, ApproveCosignedDestination, SetCosignedCap.
    function _changeCosigning(ChangeKind kind, bytes memory params, bool commit, uint256 id) private {
        if (kind == ChangeKind.AddApprover) {
            address approver = abi.decode(params, (address));
            if (approver == address(0)) revert ZeroAddress();
            if (hasRole(APPROVER_ROLE, approver)) revert ApproverStateUnchanged(approver);
            if (_operatorInfo[approver].registered) revert ApproverIsOperator(approver);
            if (commit) {
                _requireCurrent(id, kind, approver, address(0));
                _grantRole(APPROVER_ROLE, approver);
            }
        } else if (kind == ChangeKind.ApproveCosignedDestination) {
            (address operator, address destination) = abi.decode(params, (address, address));
            if (operator == address(0) || destination == address(0)) revert ZeroAddress();
            if (!commit) return;
            // One target with ApproveDestination: revokeDestination (and a removal) outdates either kind.
            _requireCurrentOperator(id, ChangeKind.ApproveDestination, operator, destination);
            if (!_isCosignedOnly(operator, destination)) {
                _cosigning.cosignedOnly[operator][destination] = uint256(_operatorInfo[operator].generation) + 1;
                emit CosignedDestinationApproved(operator, destination);
            }
        } else {
            // ChangeKind.SetCosignedCap: abi.decode rejects kinds past the enum's end.
            (address operator, address token, uint256 cosignedCap) = abi.decode(params, (address, address, uint256));
            uint256 capUnits = _checkCosignedCap(operator, token, cosignedCap);
            if (commit) {
                _requireCurrentOperator(id, kind, operator, token);
                _setCosignedCap(operator, token, capUnits, cosignedCap);
            }
        }
    }

    /// @dev The last step of the initial policy: the vault gets its admin and can act (a staged vault was
    /// born paused, without roles).
    /// The guardians were checked before: by the constructor, or by VaultFactory in the batch of this step.
    function _completeSetup(address newAdmin) private {
        admin = newAdmin;
        _grantRole(DEFAULT_ADMIN_ROLE, newAdmin);
        _setPaused(false);
    }

    function _startAdminTransfer(address newAdmin) private {
        pendingAdmin = newAdmin;
        emit AdminTransferStarted(newAdmin);
    }

    /// @dev Counts guardians, so that none of the ways a guardian leaves (an executed RemoveGuardian, its
    /// own renounceRole) can leave fewer than MIN_GUARDIANS.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == GUARDIAN_ROLE) ++_guardianCount;
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == GUARDIAN_ROLE) {
            if (_guardianCount <= MIN_GUARDIANS) revert TooFewGuardians(MIN_GUARDIANS);
            --_guardianCount;
        }
    }

    /// @dev Operators are plain keys. A caller with code (a contract, or an EIP-7702-delegated account)
    /// could revert after the `false` of a trip and so undo the suspension that the trip wrote.
    function _requireNoCode() private view {
        if (msg.sender.code.length != 0) revert OperatorHasCode(msg.sender);
    }

    /// @dev Checks of a queued withdrawal before its execution (the eta only if not `early`); returns its eta.
    function _requireExecutable(uint256 id, Withdrawal storage w, bool early) private view returns (uint64 eta) {
        Status status = w.status;
        if (status == Status.None) revert UnknownWithdrawal(id);
        address operator = w.operator;
        if (msg.sender != operator) revert NotWithdrawalOperator(id, msg.sender);
        OperatorInfo storage info = _operatorInfo[operator];
        if (!info.registered) revert NotOperator(operator, w.token);
        uint256 generation = info.generation;
        // Queued by an earlier generation of the operator: its removal cancelled it (`_statusOf`).
        if (status == Status.Pending && w.generation != generation) status = Status.Cancelled;
        if (status != Status.Pending) revert WithdrawalNotPending(id, status);
        eta = w.eta;
        if (!early && block.timestamp < eta) revert WithdrawalNotReady(id, eta);
        if (block.timestamp > eta + GRACE_PERIOD) revert WithdrawalExpired(id, eta + GRACE_PERIOD);
        if (paused) revert VaultIsPaused();
        if (info.suspended) revert OperatorIsSuspended(operator);
        address to = w.to;
        if (_approved[operator][to] != generation + 1) revert DestinationNotApproved(operator, to);
    }

    /// @dev Effects and transfer of a queued withdrawal that passed its checks.
    function _executeQueued(uint256 id, Withdrawal storage w) private {
        (address operator, address token, address to, uint256 amount) = (w.operator, w.token, w.to, w.amount);
        w.status = Status.Executed;
        _queue[operator][token].pending -= uint216(amount);
        _send(token, to, amount);
        emit WithdrawalExecuted(id, operator, token, to, amount);
    }

    /// @dev EIP-712 digest of an approval of (msg.sender, token, to, amount, withdrawalId) in this vault's
    /// domain on this chain (computed each time, so a fork's chain id is bound too).
    function _approvalDigest(address token, address to, uint256 amount, uint256 withdrawalId, Approval calldata a)
        private
        view
        returns (bytes32)
    {
        bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(
            abi.encode(APPROVAL_TYPEHASH, msg.sender, token, to, amount, withdrawalId, a.nonce, a.deadline)
        );
        return MessageHashUtils.toTypedDataHash(domain, structHash);
    }

    /// @dev Reverts on an expired or used approval (an honest client can send one late or twice); trips
    /// (returns false) on one that does not verify: a key that forges approvals is stolen.
    function _checkApproval(bytes32 digest, Approval calldata a, address token, address to, uint256 amount)
        private
        returns (bool)
    {
        if (block.timestamp > a.deadline) revert ApprovalExpired(a.deadline);
        if (_cosigning.used[digest]) revert ApprovalAlreadyUsed(digest);
        bytes memory err;
        if (!hasRole(APPROVER_ROLE, a.approver)) {
            err = abi.encodeWithSelector(NotApprover.selector, a.approver);
        } else if (!SignatureChecker.isValidSignatureNowCalldata(a.approver, digest, a.signature)) {
            err = abi.encodeWithSelector(InvalidApproval.selector, a.approver, digest);
        } else {
            return true;
        }
        return _trip(token, to, amount, TripReason.InvalidApproval, err);
    }

    /// @dev Charges a co-signed outflow to the caller's co-signed limiter (trips if it does not fit) and
    /// to the token's vault-wide limiter (reverts if it does not fit).
    function _chargeCosigned(address token, address to, uint256 amount, uint256 tokenWord) private returns (bool) {
        Word storage slot = _cosigning.words[msg.sender][token];
        uint256 word = slot.value;
        // The rounding of `_toUnits`, and the vault-wide side of `_chargeVault` below, written out here: shared
        // with this path, the compiler would no longer inline them into the instant path, which would cost it gas.
        uint256 unit = PolicyWords.unitOf(tokenWord);
        uint256 units = amount / unit;
        unchecked {
            if (units * unit != amount) ++units;
        }
        uint256 nowT = _now();
        (uint256 updated,, bool ok) = word.consume(nowT, BUCKET, units);
        if (!ok) {
            uint256 left = word.availableAt(nowT, BUCKET) * unit;
            bytes memory err = abi.encodeWithSelector(CosignedCapExceeded.selector, msg.sender, token, amount, left);
            return _trip(token, to, amount, TripReason.CosignedCapExceeded, err);
        }
        slot.value = updated;
        (updated,, ok) = tokenWord.consume(nowT, BUCKET, units);
        if (!ok) revert VaultCapExceeded(token, amount, tokenWord.availableAt(nowT, BUCKET) * unit);
        _tokenWord[token].value = updated;
        return true;
    }

    function _useApproval(bytes32 digest, address approver, uint256 withdrawalId) private {
        _cosigning.used[digest] = true;
        emit ApprovalUsed(digest, approver, msg.sender, withdrawalId);
    }

    /// @dev A co-signed cap in units, for a registered operator and a listed token.
    /// Only for a token the operator has limits for: a removal clears the co-signed words of those tokens.
    function _checkCosignedCap(address operator, address token, uint256 cosignedCap) private view returns (uint256) {
        uint256 word = _requireListed(token);
        // An operator not registered has no limit bits (removal clears them).
        if (_operatorInfo[operator].limitTokens & (1 << (_tokenPosition[token] - 1)) == 0) revert NotOperator(operator, token);
        return _toLimitUnits(cosignedCap, PolicyWords.unitOf(word));
    }

    function _setCosignedCap(address operator, address token, uint256 capUnits, uint256 cosignedCap) private {
        Word storage slot = _cosigning.words[operator][token];
        slot.value = slot.value.withCap(capUnits);
        emit CosignedCapSet(operator, token, cosignedCap);
    }

    function _setVaultCap(address token, uint256 word, uint256 capUnits, uint256 vaultCap) private {
        _tokenWord[token].value = word.withCap(capUnits);
        emit VaultCapSet(token, vaultCap);
    }

    function _setDelays(uint32 newChangeDelay, uint32 newWithdrawalDelay) private {
        changeDelay = newChangeDelay;
        withdrawalDelay = newWithdrawalDelay;
        emit DelaysSet(newChangeDelay, newWithdrawalDelay);
    }

    function _setTripwireOptOut(address operator, bool optOut) private {
        if (_operatorInfo[operator].tripwireOptOut == optOut) return;
        _operatorInfo[operator].tripwireOptOut = optOut;
        emit TripwireOptOutSet(operator, optOut);
    }

    function _checkTripwire(uint8 maxCount, uint32 period) private pure {
        if (maxCount > MAX_TRIP_COUNT || period == 0 || period > MAX_TRIP_PERIOD) revert InvalidTripwire(maxCount, period);
    }

    function _checkOperatorLimits(OperatorLimits memory limits) private view {
        if (limits.operator == address(0)) revert ZeroAddress();
        uint256 unit = PolicyWords.unitOf(_requireListed(limits.token));
        _toLimitUnits(limits.cap, unit);
        _toLimitUnits(limits.instantLimit, unit);
        if (limits.instantLimit > limits.cap) revert InstantLimitAboveCap(limits.instantLimit, limits.cap);
        _toLimitUnits(limits.queueCap, unit);
        // Only a new operator can be an approver: AddApprover refuses a registered operator.
        if (!_operatorInfo[limits.operator].registered) {
            if (_operators.length >= MAX_OPERATORS) revert TooManyOperators(MAX_OPERATORS);
            if (hasRole(APPROVER_ROLE, limits.operator)) revert ApproverIsOperator(limits.operator);
        }
    }

    function _setOperatorLimits(OperatorLimits memory limits) private {
        OperatorInfo storage info = _operatorInfo[limits.operator];
        if (!info.registered) {
            info.registered = true;
            _operators.push(limits.operator);
            info.position = uint8(_operators.length);
        }
        info.limitTokens |= uint32(1 << (_tokenPosition[limits.token] - 1));
        uint256 unit = PolicyWords.unitOf(_tokenWord[limits.token].value);
        uint256 word = _operatorWord[limits.operator][limits.token].value.withCap(limits.cap / unit);
        word = word.withInstantLimit(limits.instantLimit / unit);
        if (info.suspended || info.generation != 0) word |= HELD;
        _operatorWord[limits.operator][limits.token].value = word;
        _queue[limits.operator][limits.token].queueCapUnits = uint40(limits.queueCap / unit);
        emit OperatorLimitsSet(limits.operator, limits.token, limits.cap, limits.instantLimit, limits.queueCap);
    }

    function _listToken(address token, uint8 unitDecimals, uint256 capUnits, uint256 vaultCap) private {
        uint256 word = LISTED | (uint256(unitDecimals) << UNIT_SHIFT);
        word |= (uint256(_tripMax) << TRIP_MAX_SHIFT) | (uint256(_tripPeriod) << TRIP_PERIOD_SHIFT);
        if (paused) word |= PAUSED;
        _tokenWord[token].value = word.withCap(capUnits);
        _tokens.push(token);
        _tokenPosition[token] = _tokens.length;
        // Nobody has limits for the new token yet: an operator suspended now gets the bit in its word for
        // it when limits are set (`_setOperatorLimits`).
        emit TokenListed(token, unitDecimals, vaultCap);
    }

    function _setTripwire(uint8 maxCount, uint32 period) private {
        _tripMax = maxCount;
        _tripPeriod = period;
        uint256 clear = ~((TRIP_MAX_MASK << TRIP_MAX_SHIFT) | (TRIP_PERIOD_MASK << TRIP_PERIOD_SHIFT));
        uint256 bits = (uint256(maxCount) << TRIP_MAX_SHIFT) | (uint256(period) << TRIP_PERIOD_SHIFT);
        for (uint256 i; i < _tokens.length; ++i) {
            Word storage w = _tokenWord[_tokens[i]];
            w.value = (w.value & clear) | bits;
        }
        emit TripwireSet(maxCount, period);
    }

    function _setPaused(bool on) private {
        paused = on;
        for (uint256 i; i < _tokens.length; ++i) {
            address token = _tokens[i];
            Word storage w = _tokenWord[token];
            w.value = on ? w.value | PAUSED : w.value & ~PAUSED;
        }
    }

    function _suspend(address operator, address by) private {
        if (_operatorInfo[operator].suspended) return;
        _operatorInfo[operator].suspendedAt = uint64(changeCount);
        _setSuspendedBits(operator, true);
        emit OperatorSuspended(operator, by);
    }

    /// @dev Writes the HELD bit only into the words of tokens the operator has limits for: with no
    /// limits for a token it cannot withdraw it anyway (`_rejectUnallowedToken` checks the flag). An
    /// operator of a later generation stays HELD when unsuspended: its destinations carry its generation.
    function _setSuspendedBits(address operator, bool on) private {
        OperatorInfo storage info = _operatorInfo[operator];
        info.suspended = on;
        bool held = on || info.generation != 0;
        uint256 mask = info.limitTokens;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) {
                Word storage w = _operatorWord[operator][_tokens[i]];
                w.value = held ? w.value | HELD : w.value & ~HELD;
            }
            mask >>= 1;
        }
    }

    /// @dev The operator's side of an instant withdrawal: instant limit, window cap, tripwire rate.
    function _chargeOperator(uint256 opWord, uint256 tokenWord, uint256 units)
        private
        view
        returns (uint256 updated, TripReason reason, bool ok)
    {
        uint256 nowT = _now();
        if (units > opWord.instantLimitOf()) {
            return (0, TripReason.InstantLimitExceeded, false);
        }
        (updated,, ok) = opWord.consume(nowT, BUCKET, units);
        if (!ok) return (0, TripReason.CapExceeded, false);
        (uint256 count, uint256 maxCount) = PolicyWords.periodCount(opWord, tokenWord, nowT);
        if (maxCount != 0 && count > maxCount) return (0, TripReason.RateExceeded, false);
        updated = (updated & ~(COUNT_MASK << COUNT_SHIFT)) | (count << COUNT_SHIFT);
    }

    /// @dev The vault-wide side of an instant withdrawal. Only reverts: other operators may have used
    /// the vault-wide cap, so reaching it is no sign that this key is stolen.
    function _chargeVault(uint256 tokenWord, address token, uint256 amount, uint256 units)
        private
        view
        returns (uint256 updated)
    {
        uint256 nowT = _now();
        bool ok;
        (updated,, ok) = tokenWord.consume(nowT, BUCKET, units);
        if (!ok) revert VaultCapExceeded(token, amount, tokenWord.availableAt(nowT, BUCKET) * PolicyWords.unitOf(tokenWord));
    }

    /// @dev Trips on a breach found by `_chargeOperator`, with the error an opted-out operator gets.
    function _tripBreach(
        TripReason reason,
        address token,
        address to,
        uint256 amount,
        uint256 opWord,
        uint256 tokenWord
    ) private returns (bool) {
        uint256 unit = PolicyWords.unitOf(tokenWord);
        bytes memory err;
        if (reason == TripReason.InstantLimitExceeded) {
            uint256 instant = (opWord.instantLimitOf()) * unit;
            err = abi.encodeWithSelector(InstantLimitExceeded.selector, msg.sender, token, amount, instant);
        } else if (reason == TripReason.CapExceeded) {
            uint256 left = opWord.availableAt(_now(), BUCKET) * unit;
            err = abi.encodeWithSelector(CapExceeded.selector, msg.sender, token, amount, left);
        } else {
            (uint256 count, uint256 maxCount) = PolicyWords.periodCount(opWord, tokenWord, _now());
            err = abi.encodeWithSelector(RateExceeded.selector, msg.sender, token, count, maxCount);
        }
        return _trip(token, to, amount, reason, err);
    }

    /// @dev A policy break by an operator: suspend it and report, or revert with `reason` if it opted out.
    function _trip(address token, address to, uint256 amount, TripReason reason, bytes memory err)
        private
        returns (bool)
    {
        if (_operatorInfo[msg.sender].tripwireOptOut) {
            assembly ("memory-safe") {
                revert(add(err, 32), mload(err))
            }
        }
        _suspend(msg.sender, address(this));
        emit TripwireFired(msg.sender, token, reason, to, amount);
        return false;
    }

    /// @dev The caller has no instant cap for `token`: an operator of other tokens trips, anyone else
    /// simply is not an operator.
    function _rejectUnallowedToken(address token, address to, uint256 amount) private returns (bool) {
        OperatorInfo storage info = _operatorInfo[msg.sender];
        if (!info.registered) revert NotOperator(msg.sender, token);
        if (info.suspended) revert OperatorIsSuspended(msg.sender);
        bytes memory err = abi.encodeWithSelector(TokenNotAllowed.selector, msg.sender, token);
        return _trip(token, to, amount, TripReason.TokenNotAllowed, err);
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == NATIVE) {
            if (address(this).balance < amount) revert InsufficientBalance(token, amount, address(this).balance);
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert EthTransferFailed(to, amount);
        } else if (!IERC20(token).trySafeTransfer(to, amount)) {
            uint256 balance = _balanceOf(token);
            if (balance < amount) revert InsufficientBalance(token, amount, balance);
            revert TokenTransferFailed(token, to, amount);
        }
    }

    function _balanceOf(address token) private view returns (uint256) {
        if (token == NATIVE) return address(this).balance;
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20.balanceOf, (address(this))));
        return ok && data.length >= 32 ? abi.decode(data, (uint256)) : 0;
    }

    /// @dev The target of a loosening change of `kind` on (a, b): operator x token limits, operator x
    /// destination, a token's vault cap, an operator's tripwire opt-out, the tripwire, the delays.
    function _targetKey(ChangeKind kind, address a, address b) private pure returns (bytes32) {
        return keccak256(abi.encode(kind, a, b));
    }

    /// @dev Records an instant tightening of a target: every change proposed so far that would loosen it
    /// is outdated.
    function _tighten(ChangeKind kind, address a, address b) private {
        _tightenedAt[_targetKey(kind, a, b)] = changeCount;
    }

    function _requireCurrent(uint256 id, ChangeKind kind, address a, address b) private view {
        _requireCurrentAt(id, _tightenedAt[_targetKey(kind, a, b)]);
    }

    /// @dev `_requireCurrent` for a target of one operator, which its removal also tightens. The initial
    /// policy (id 0) reads no marker: nothing was tightened before it, and a large config would pay two cold
    /// reads per step.
    function _requireCurrentOperator(uint256 id, ChangeKind kind, address operator, address b) private view {
        if (id == 0) return;
        _requireCurrentAt(id, _operatorInfo[operator].removedAt);
        _requireCurrent(id, kind, operator, b);
    }

    /// @dev Whether `destination` is approved for the operator's current generation.
    function _isApproved(address operator, address destination) private view returns (bool) {
        return _approved[operator][destination] == uint256(_operatorInfo[operator].generation) + 1;
    }

    /// @dev Whether `destination` is approved for the operator's co-signed withdrawals only, in its current
    /// generation.
    function _isCosignedOnly(address operator, address destination) private view returns (bool) {
        return _cosigning.cosignedOnly[operator][destination] == uint256(_operatorInfo[operator].generation) + 1;
    }

    /// @dev The withdrawal's lifecycle state: a pending withdrawal of an earlier generation of its operator
    /// was cancelled by the operator's removal.
    function _statusOf(Withdrawal storage w) private view returns (Status status) {
        status = w.status;
        if (status == Status.Pending && w.generation != _operatorInfo[w.operator].generation) status = Status.Cancelled;
    }

    /// @dev The instant path's look at the caller's record, for a HELD word only: refuses a suspended
    /// operator, and returns the generation its destinations must carry.
    function _heldGeneration() private view returns (uint256) {
        OperatorInfo storage info = _operatorInfo[msg.sender];
        if (info.suspended) revert OperatorIsSuspended(msg.sender);
        return info.generation;
    }

    /// @dev Change `id` (0: the constructor) was proposed after the target's last instant tightening.
    function _requireCurrentAt(uint256 id, uint256 tightenedAt) private pure {
        if (id != 0 && id <= tightenedAt) revert ChangeOutdated(id);
    }

    function _requireListed(address token) private view returns (uint256 word) {
        word = _tokenWord[token].value;
        if (word & LISTED == 0) revert UnknownToken(token);
    }

    function _requireOpen(address token) private view returns (uint256 word) {
        word = _tokenWord[token].value;
        if (word & (LISTED | PAUSED) != LISTED) _revertClosed(token, word);
    }

    function _revertClosed(address token, uint256 word) private pure {
        if (word & LISTED == 0) revert UnknownToken(token);
        revert VaultIsPaused();
    }

    function _requireLowering(uint256 current, uint256 requested) private pure {
        if (requested > current) revert NotALowering(current, requested);
    }

    function _checkDelay(uint256 delay) private pure {
        if (delay < MIN_DELAY || delay > MAX_DELAY) revert DelayOutOfRange(delay);
    }

    /// @dev Outflow in units, rounded up so that accounting never under-counts.
    function _toUnits(uint256 amount, uint256 unit) private pure returns (uint256 units) {
        unchecked {
            // units * unit <= amount, and units < amount when it is incremented (unit >= 1).
            units = amount / unit;
            if (units * unit != amount) ++units;
        }
    }

    /// @dev A configured limit in units: it must be a whole number of units that fits 36 bits.
    function _toLimitUnits(uint256 amount, uint256 unit) private pure returns (uint256 units) {
        units = amount / unit;
        if (units * unit != amount || units > RateLimit.AMOUNT_MASK) revert LimitNotRepresentable(amount, unit);
    }

    /// @dev The limiter's clock: seconds since deployment.
    function _now() private view returns (uint256) {
        unchecked {
            return block.timestamp - START;
        }
    }

}
