// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GuardedVault} from "../../../contracts/GuardedVault.sol";
import {IGuardedVault} from "../../../contracts/interfaces/IGuardedVault.sol";
import {VaultLens} from "../../../contracts/lens/VaultLens.sol";
import {MockERC20} from "../../../contracts/test/MockERC20.sol";
import {MockUSDT} from "../../../contracts/test/MockUSDT.sol";
import {TestBase} from "../base/TestBase.sol";

/// @notice Drives random sequences of every role's actions against one vault and keeps, next to it, an
/// independent model of the policy (what the handler itself proposed, executed, lowered, revoked, paused)
/// and ghost records of what really moved. It never asserts: it records facts at the moment of each call,
/// and the invariant test judges them after every call.
contract VaultHandler is TestBase {
    address internal constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    uint256 internal constant WINDOW = 1 days;
    uint256 internal constant BUCKET = WINDOW / 3;
    uint256 internal constant GRACE = 14 days;
    uint256 internal constant MASK36 = (1 << 36) - 1;
    uint256 internal constant MAX_SNAPSHOTS = 12;

    enum FlowKind {
        Instant,
        Queued,
        Evacuation
    }

    /// @notice One movement out of the vault, as measured (balances), with the model's view of the policy
    /// at the moment it happened.
    struct Flow {
        FlowKind kind;
        address operator; // zero for evacuations
        address token;
        address to;
        uint64 time;
        uint256 amount; // what left the vault
        uint256 received; // what `to` received
        bool toApproved; // `to` approved for `operator` (model) when it moved
        bool paused; // vault paused (model)
        bool suspended; // operator suspended (model)
        // Instant: the limits in force and the outflow of every window ending here.
        uint256 cap;
        uint256 vaultCap;
        uint256 opWindowOut; // this operator's instant outflow of `token` in (time - WINDOW, time]
        uint256 vaultWindowOut; // all operators' instant outflow of `token` in the same interval
        // Queued: the withdrawal as the model knows it.
        uint256 id;
        bool wasPending;
        uint64 eta;
        uint256 queuedAmount;
        address queuedTo;
        uint256 earlierExecutions; // queued flows of the same id before this one
    }

    /// @notice An executed change, with the model's view of it just before.
    struct ChangeExecution {
        uint256 id;
        IGuardedVault.ChangeKind kind;
        uint64 time;
        uint64 eta;
        bool wasPending;
    }

    /// @notice operatorExposure and vaultExposure read at t0, and what operators moved afterwards in
    /// [t0, t0 + horizon] (closed: the same block as the read, and the last second too). A bound is stale once a change that could raise it was executed within the horizon.
    struct ExposureSnapshot {
        address operator;
        address token;
        uint64 t0;
        uint64 horizon;
        uint256 opBound; // instant + queued
        uint256 opTotal;
        uint256 vaultBound;
        uint256 vaultTotal;
        uint256 opOut;
        uint256 vaultOut;
        uint256 depositedSince;
        bool opStale; // a change executed within the horizon could raise the operator's bound
        bool vaultStale; // ... or the vault-wide bound
    }

    struct Queued {
        address operator;
        address token;
        address to;
        uint256 amount;
        uint64 eta;
        IGuardedVault.Status status;
    }

    struct Proposed {
        IGuardedVault.ChangeKind kind;
        bytes params;
        uint64 eta;
        IGuardedVault.Status status;
    }

    struct Limits {
        uint256 cap;
        uint256 instant;
        uint256 queueCap;
    }

    /// @dev Facts read before a call that may move funds.
    struct Before {
        address operator;
        address token;
        address to;
        uint256 vaultBalance;
        uint256 toBalance;
    }

    GuardedVault public immutable vault;
    /// @notice Reads limits, accounting and exposure from the vault's storage.
    VaultLens public immutable lens;
    MockUSDT public immutable usdt;
    MockERC20 public immutable dai;
    address public immutable admin;
    address public immutable recovery;

    address[2] internal _operators;
    address[2] internal _guardians;
    address[3] internal _destinations;
    address[3] internal _tokens;
    mapping(address token => uint256) public unitOf;
    mapping(address token => uint256) internal _depositScale; // the initial vault cap

    // ---- Model of the policy: changes only through the handler's own successful calls ----
    mapping(address operator => mapping(address token => Limits)) internal _limits;
    mapping(address token => uint256) public vaultCapOf;
    mapping(address operator => mapping(address destination => bool)) public approvedOf;
    mapping(address operator => bool) public suspendedOf;
    mapping(address operator => bool) public optedOutOf;
    mapping(address operator => mapping(address token => uint256)) public pendingOf;
    bool public pausedModel;
    uint32 public changeDelayModel;
    uint32 public withdrawalDelayModel;
    uint8 public tripMaxModel;
    uint32 public tripPeriodModel;
    Queued[] internal _queued; // id - 1
    Proposed[] internal _proposed; // id - 1
    /// @dev changeCount at the last instant tightening of each target (the model's own record, by kind and
    /// the target's addresses), of the pause and of each operator's suspension: a change with an
    /// id up to it must never execute.
    mapping(bytes32 target => uint256) internal _tightenedAt;
    uint256 internal _pausedAt;
    mapping(address operator => uint256) internal _suspendedAt;
    /// @dev changeCount at each operator's last removal: every change of its limits, destinations,
    /// suspension or opt-out with an id up to it must never execute.
    mapping(address operator => uint256) internal _removedAt;

    // ---- Ghosts ----
    mapping(address token => uint256) public deposited;
    mapping(address token => uint256) public outInstant; // amounts of instant withdrawals that returned true
    mapping(address token => uint256) public outQueued; // amounts of queued withdrawals that executed
    mapping(address token => uint256) public outEvacuated; // amounts of evacuations that succeeded
    mapping(address token => uint256) public receivedTotal; // what recipients measurably received
    Flow[] internal _flows;
    ChangeExecution[] internal _executions;
    ExposureSnapshot[] internal _snapshots;
    string[] internal _anomalies; // the vault accepted a call the model says it must refuse
    /// @dev Where the current call's records start: the invariant test checks after every call what that
    /// call added (and everything once more at the end of each run).
    uint256 internal _callFirstFlow;
    uint256 internal _callFirstExecution;
    /// @dev Vault calls tried and accepted per action: forge's metrics count handler calls, these say how
    /// many reached the vault and got through (read them from a trace when tuning the handler's mix).
    mapping(bytes4 selector => uint256) public calls;
    mapping(bytes4 selector => uint256) public successes;

    modifier action() {
        _callFirstFlow = _flows.length;
        _callFirstExecution = _executions.length;
        _;
    }

    constructor() {
        admin = makeAddr("admin");
        recovery = makeAddr("recovery");
        _guardians = [makeAddr("guardian1"), makeAddr("guardian2")];
        _operators = [makeAddr("bot1"), makeAddr("bot2")];
        // exchange2 starts approved for bot2 only; attacker for nobody (the admin may approve either later).
        _destinations = [makeAddr("exchange"), makeAddr("exchange2"), makeAddr("attacker")];
        usdt = new MockUSDT();
        dai = new MockERC20("Dai (mock)", "DAI", 18);
        _tokens = [address(usdt), address(dai), NATIVE];
        vm.label(address(usdt), "USDT");
        vm.label(address(dai), "DAI");

        IGuardedVault.InitConfig memory config;
        config.admin = admin;
        config.guardians = new address[](2);
        config.guardians[0] = _guardians[0];
        config.guardians[1] = _guardians[1];
        config.recovery = recovery;
        config.window = uint32(WINDOW);
        config.changeDelay = changeDelayModel = 1 days;
        config.withdrawalDelay = withdrawalDelayModel = 1 days;
        config.tripwireMaxCount = tripMaxModel = 10;
        config.tripwirePeriod = tripPeriodModel = 60;
        // USDT-like (6 decimals, no return values), DAI-like (18 decimals), ETH; limits as the Hardhat
        // fixture: two operators whose caps together exceed the vault-wide cap.
        config.tokens = new IGuardedVault.TokenConfig[](3);
        _listed(config, 0, address(usdt), 4, 1_500_000e6, [uint256(1_000_000e6), 250_000e6, 5_000_000e6]);
        _listed(config, 1, address(dai), 16, 800_000e18, [uint256(500_000e18), 100_000e18, 1_000_000e18]);
        _listed(config, 2, NATIVE, 12, 300 ether, [uint256(200 ether), 50 ether, 1_000 ether]);
        config.limits = new IGuardedVault.OperatorLimits[](6);
        for (uint256 i; i < 6; ++i) {
            address op = _operators[i / 3];
            address token = _tokens[i % 3];
            Limits memory l = _limits[op][token];
            config.limits[i] = IGuardedVault.OperatorLimits(op, token, l.cap, l.instant, l.queueCap);
        }
        config.destinations = new IGuardedVault.DestinationConfig[](3);
        config.destinations[0] = IGuardedVault.DestinationConfig(_operators[0], _destinations[0]);
        config.destinations[1] = IGuardedVault.DestinationConfig(_operators[1], _destinations[0]);
        config.destinations[2] = IGuardedVault.DestinationConfig(_operators[1], _destinations[1]);
        approvedOf[_operators[0]][_destinations[0]] = true;
        approvedOf[_operators[1]][_destinations[0]] = true;
        approvedOf[_operators[1]][_destinations[1]] = true;
        // bot2 prefers plain reverts to the tripwire's suspension; bot1 is under the tripwire.
        config.tripwireOptOuts = new address[](1);
        config.tripwireOptOuts[0] = _operators[1];
        optedOutOf[_operators[1]] = true;

        vault = new GuardedVault(config);
        lens = new VaultLens();
        vm.label(address(vault), "vault");
        usdt.approve(address(vault), type(uint256).max);
        dai.approve(address(vault), type(uint256).max);
        _deposit(address(usdt), 20_000_000e6, true);
        _deposit(address(dai), 5_000_000e18, true);
        _deposit(NATIVE, 3_000 ether, true);
    }

    // =============================================================================================
    // Operators
    // =============================================================================================

    /// @notice An operator withdraws at once: usually within its limits to an approved destination,
    /// sometimes exactly its remaining allowance, one base unit more, above its instant limit, or to a
    /// destination it may not use.
    function withdrawInstant(uint256 opSeed, uint256 tokenSeed, uint256 toSeed, uint256 amountSeed) external action {
        _withdrawInstant(_operator(opSeed), _tokens[tokenSeed % 3], toSeed, amountSeed);
    }

    /// @notice Two to five instant withdrawals by one operator in the same second (several outflows at
    /// one timestamp, and the tripwire's count).
    function withdrawInstantBurst(uint256 opSeed, uint256 tokenSeed, uint256 toSeed, uint256 amountSeed) external action {
        address op = _operator(opSeed);
        address token = _tokens[tokenSeed % 3];
        uint256 n = 2 + _mix(opSeed) % 4;
        for (uint256 i; i < n; ++i) {
            _withdrawInstant(op, token, uint256(keccak256(abi.encode(toSeed, i))), uint256(keccak256(abi.encode(amountSeed, i))));
        }
    }

    function _withdrawInstant(address op, address token, uint256 toSeed, uint256 amountSeed) private {
        address to = _destinationFor(op, toSeed);
        uint256 amount = _instantAmount(op, token, amountSeed);
        Before memory b = _before(op, token, to);
        Flow memory f = _facts(FlowKind.Instant, b);
        _count(this.withdrawInstant.selector, false);
        vm.prank(op);
        try vault.withdrawInstant(token, to, amount) returns (bool moved) {
            if (moved) {
                outInstant[token] += amount;
                _count(this.withdrawInstant.selector, true);
            } else {
                _suspendModel(op); // the tripwire fired
            }
        } catch {}
        _recordFlow(b, f);
    }

    /// @notice An operator queues a withdrawal: within its queue room, exactly the room, one more, or to
    /// a destination it may not use.
    function queueWithdrawal(uint256 opSeed, uint256 tokenSeed, uint256 toSeed, uint256 amountSeed) external action {
        address op = _operator(opSeed);
        address token = _tokens[tokenSeed % 3];
        address to = _destinationFor(op, toSeed);
        Limits memory l = _limits[op][token];
        uint256 pending = pendingOf[op][token];
        uint256 room = l.queueCap > pending ? l.queueCap - pending : 0;
        uint256 mode = _mix(amountSeed) % 16;
        uint256 x = amountSeed >> 8;
        uint256 amount;
        if (mode < 11) amount = 1 + x % (room / 2 + 1);
        else if (mode < 14) amount = room == 0 ? 1 : room;
        else if (mode == 14) amount = room + 1;
        else amount = 1 + x % (l.queueCap + 1);
        Before memory b = _before(op, token, to);
        _count(this.queueWithdrawal.selector, false);
        vm.prank(op);
        try vault.queueWithdrawal(token, to, amount) returns (uint256 id) {
            if (id == 0) {
                _suspendModel(op); // the tripwire fired
            } else {
                if (id != _queued.length + 1) _anomalies.push("queued withdrawal ids are not sequential");
                _queued.push(Queued(op, token, to, amount, uint64(block.timestamp + withdrawalDelayModel), IGuardedVault.Status.Pending));
                pendingOf[op][token] += amount;
                _count(this.queueWithdrawal.selector, true);
            }
        } catch {}
        if (_balanceOf(token, address(vault)) != b.vaultBalance) _anomalies.push("queueing moved funds");
    }

    /// @notice The operator that queued a withdrawal executes it: usually a pending one (ready or not),
    /// sometimes one already executed or cancelled.
    function executeWithdrawal(uint256 idSeed) external action {
        if (_queued.length == 0) return;
        uint256 id = _pickQueued(idSeed, true);
        Queued storage q = _queued[id - 1];
        Before memory b = _before(q.operator, q.token, q.to);
        Flow memory f = _facts(FlowKind.Queued, b);
        f.id = id;
        f.wasPending = q.status == IGuardedVault.Status.Pending;
        f.eta = q.eta;
        f.queuedAmount = q.amount;
        f.queuedTo = q.to;
        _count(this.executeWithdrawal.selector, false);
        vm.prank(q.operator);
        try vault.executeWithdrawal(id) {
            outQueued[q.token] += q.amount;
            if (q.status == IGuardedVault.Status.Pending) {
                q.status = IGuardedVault.Status.Executed;
                pendingOf[q.operator][q.token] -= q.amount;
            }
            _count(this.executeWithdrawal.selector, true);
        } catch {}
        _recordFlow(b, f);
    }

    /// @notice The operator that queued it, a guardian or the admin cancels a queued withdrawal (or tries
    /// to cancel one that is no longer pending).
    function cancelWithdrawal(uint256 idSeed, uint256 whoSeed) external action {
        if (_queued.length == 0) return;
        // A third of the time a pending one; otherwise any id (mostly executed or cancelled ones, which
        // must not cancel), so that pending withdrawals live long enough to be executed.
        uint256 id = _mix(whoSeed) % 3 == 0 ? _pickQueued(idSeed, false) : 1 + idSeed % _queued.length;
        Queued storage q = _queued[id - 1];
        uint256 who = whoSeed % 3;
        address caller = who == 0 ? q.operator : who == 1 ? _guardians[(whoSeed >> 8) % 2] : admin;
        _count(this.cancelWithdrawal.selector, false);
        vm.prank(caller);
        try vault.cancelWithdrawal(id) {
            if (q.status != IGuardedVault.Status.Pending) {
                _anomalies.push("cancelled a withdrawal that was not pending");
            } else {
                q.status = IGuardedVault.Status.Cancelled;
                pendingOf[q.operator][q.token] -= q.amount;
            }
            _count(this.cancelWithdrawal.selector, true);
        } catch {}
    }

    // =============================================================================================
    // Time
    // =============================================================================================

    /// @notice Moves time forward: a few seconds, to a bucket boundary -1/0/+1, to a pending eta -1/0/+1,
    /// to a window after the last instant withdrawal -1/0/+1, or by up to a day.
    function warp(uint256 modeSeed, uint256 x) external action {
        uint256 nowT = block.timestamp;
        uint256 mode = _mix(modeSeed) % 6;
        uint256 offset = x % 3; // target - 1, target, target + 1
        uint256 target;
        if (mode == 0) {
            target = nowT + 1 + x % 120;
        } else if (mode == 1) {
            uint256 start = vault.clockStart();
            target = start + ((nowT - start) / BUCKET + 1) * BUCKET + offset - 1;
        } else if (mode == 2) {
            target = _nextEta(x) + offset - 1;
        } else if (mode == 3 && _lastInstantTime() != 0) {
            target = _lastInstantTime() + WINDOW + offset - 1;
        } else if (mode == 4) {
            target = nowT + changeDelayModel;
        } else {
            target = nowT + 1 + x % WINDOW;
        }
        _count(this.warp.selector, false);
        if (target > nowT) {
            vm.warp(target);
            _count(this.warp.selector, true);
        }
    }

    // =============================================================================================
    // Guardians (and the admin's instant, safety-increasing actions)
    // =============================================================================================

    /// @notice A guardian (sometimes the admin) pauses, suspends, lowers a limit or a vault cap, revokes a
    /// destination, evacuates, cancels a proposed change, tightens the tripwire, puts an operator back
    /// under it; or the admin lengthens the delays.
    function guardianAct(uint256 actionSeed, uint256 a, uint256 b) external action {
        address who = (a >> 128) % 5 == 0 ? admin : _guardians[a % 2];
        address op = _operators[(b >> 16) % 2];
        address token = _tokens[(b >> 24) % 3];
        // Pausing (2/32) and suspending (1/32) are rare: each stops operators for at least a change delay.
        uint256 act = _mix(actionSeed) % 32;
        _count(this.guardianAct.selector, false);
        bool ok;
        if (act <= 1) {
            vm.prank(who);
            try vault.pause() {
                if (!pausedModel) _pausedAt = vault.changeCount();
                pausedModel = true;
                ok = true;
            } catch {}
        } else if (act == 2) {
            vm.prank(who);
            try vault.suspendOperator(op) {
                _suspendModel(op);
                ok = true;
            } catch {}
        } else if (act <= 7) {
            ok = _lowerLimits(who, op, token, b);
        } else if (act <= 10) {
            uint256 unit = unitOf[token];
            uint256 newCap = vaultCapOf[token] * _lowering(b) / 8 / unit * unit;
            bool raise = _mix(b >> 64) % 8 == 0; // one time in eight a "lowering" that raises: refused
            if (raise) newCap = vaultCapOf[token] + unit;
            vm.prank(who);
            try vault.lowerVaultCap(token, newCap) {
                if (raise) _anomalies.push("lowerVaultCap raised the vault cap");
                _tighten(IGuardedVault.ChangeKind.SetVaultCap, token, address(0));
                vaultCapOf[token] = newCap;
                ok = true;
            } catch {}
        } else if (act <= 14) {
            address dest = _destinations[b % 3];
            // Half the time the destination of a pending queued withdrawal, which must then not execute.
            if (_queued.length != 0 && _mix(b) % 2 == 0) {
                Queued storage q = _queued[_pickQueued(b, false) - 1];
                (op, dest) = (q.operator, q.to);
            }
            vm.prank(who);
            try vault.revokeDestination(op, dest) {
                _tighten(IGuardedVault.ChangeKind.ApproveDestination, op, dest);
                approvedOf[op][dest] = false;
                ok = true;
            } catch {}
        } else if (act <= 19) {
            ok = _evacuate(who, token, b);
        } else if (act <= 25) {
            ok = _cancelChange(who, b);
        } else if (act <= 27) {
            ok = _tightenTripwire(who, b);
        } else if (act <= 29) {
            vm.prank(who);
            try vault.optIntoTripwire(op) {
                _tighten(IGuardedVault.ChangeKind.SetTripwireOptOut, op, address(0));
                optedOutOf[op] = false;
                ok = true;
            } catch {}
        } else {
            uint32 newChange = uint32(bound(b, changeDelayModel, _max(changeDelayModel, 2 days)));
            uint32 newWithdrawal = uint32(bound(b >> 32, withdrawalDelayModel, _max(withdrawalDelayModel, 2 days)));
            vm.prank(admin);
            try vault.lengthenDelays(newChange, newWithdrawal) {
                _tighten(IGuardedVault.ChangeKind.SetDelays, address(0), address(0));
                changeDelayModel = newChange;
                withdrawalDelayModel = newWithdrawal;
                ok = true;
            } catch {}
        }
        if (ok) _count(this.guardianAct.selector, true);
    }

    /// @notice A guardian or the admin removes an operator (a key rotation, or after an incident), or
    /// tries to remove one that is not an operator any more: its limits, destinations, opt-out, suspension
    /// and pending queued withdrawals are gone at once. Only a later SetOperatorLimits brings it back.
    function removeOperator(uint256 whoSeed, uint256 opSeed) external action {
        address who = (whoSeed >> 128) % 3 == 0 ? admin : _guardians[whoSeed % 2];
        // Rare: re-adding a removed operator takes a proposal and a change delay.
        if ((opSeed >> 8) % 6 != 0) return;
        address op = _operators[opSeed % 2];
        bool wasOperator = _isOperator(op);
        _count(this.removeOperator.selector, false);
        vm.prank(who);
        try vault.removeOperator(op) {
            _removedAt[op] = vault.changeCount();
            for (uint256 t; t < 3; ++t) {
                delete _limits[op][_tokens[t]];
                pendingOf[op][_tokens[t]] = 0;
            }
            for (uint256 d; d < 3; ++d) {
                approvedOf[op][_destinations[d]] = false;
            }
            suspendedOf[op] = false;
            optedOutOf[op] = false;
            for (uint256 i; i < _queued.length; ++i) {
                Queued storage q = _queued[i];
                if (q.operator == op && q.status == IGuardedVault.Status.Pending) q.status = IGuardedVault.Status.Cancelled;
            }
            if (!wasOperator) _anomalies.push("removed an account that was not an operator");
            if (lens.isSuspended(vault, op) || vault.isApproved(op, _destinations[0])) _anomalies.push("a removed operator kept its state");
            _count(this.removeOperator.selector, true);
        } catch {
            if (wasOperator) _anomalies.push("removing an operator was refused");
        }
    }

    /// @notice A stolen operator key, an outsider, or a guardian overstepping its role calls what only
    /// another role may: none of these calls may succeed.
    function intruderAct(uint256 callerSeed, uint256 callSeed, uint256 x) external action {
        uint256 c = _mix(callerSeed) % 4;
        address caller = c < 2 ? _operators[c] : c == 2 ? _destinations[2] : _guardians[callerSeed % 2];
        bool guardian = c == 3;
        address op = _operators[x % 2];
        address token = _tokens[(x >> 8) % 3];
        uint256 n = _proposed.length;
        uint256 changeId = n == 0 ? 1 : 1 + (x >> 16) % n;
        // A guardian may do everything below except the admin's calls (the first five).
        uint256 pick = _mix(callSeed) % (guardian ? 5 : 13);
        bytes memory data;
        string[13] memory names = [
            "proposeChange", "executeChange", "lengthenDelays", "grantRole", "acceptAdmin", "cancelChange",
            "lowerOperatorLimits", "revokeDestination", "pause", "suspendOperator", "evacuate",
            "executeWithdrawal of another operator's withdrawal", "cancelWithdrawal of another operator's withdrawal"
        ];
        if (pick == 0) {
            data = abi.encodeCall(vault.proposeChange, (IGuardedVault.ChangeKind.ApproveDestination, abi.encode(op, _destinations[2])));
        } else if (pick == 1) {
            data = abi.encodeCall(vault.executeChange, (changeId));
        } else if (pick == 2) {
            data = abi.encodeCall(vault.lengthenDelays, (changeDelayModel + 1, withdrawalDelayModel + 1));
        } else if (pick == 3) {
            data = abi.encodeCall(vault.grantRole, (vault.GUARDIAN_ROLE(), caller));
        } else if (pick == 4) {
            data = abi.encodeCall(vault.acceptAdmin, ());
        } else if (pick == 5) {
            data = abi.encodeCall(vault.cancelChange, (changeId));
        } else if (pick == 6) {
            data = abi.encodeCall(vault.lowerOperatorLimits, (IGuardedVault.OperatorLimits(op, token, 0, 0, 0)));
        } else if (pick == 7) {
            data = abi.encodeCall(vault.revokeDestination, (op, _destinations[0]));
        } else if (pick == 8) {
            data = abi.encodeCall(vault.pause, ());
        } else if (pick == 9) {
            data = abi.encodeCall(vault.suspendOperator, (op));
        } else if (pick == 10) {
            data = abi.encodeCall(vault.evacuate, (token, 1));
        } else {
            // Someone else's queued withdrawal: only its operator executes it; a stranger cannot cancel it.
            if (_queued.length == 0) return;
            uint256 id = 1 + (x >> 24) % _queued.length;
            if (_queued[id - 1].operator == caller) return;
            data = pick == 11 ? abi.encodeCall(vault.executeWithdrawal, (id)) : abi.encodeCall(vault.cancelWithdrawal, (id));
        }
        _count(this.intruderAct.selector, false);
        uint256 balance = _balanceOf(token, address(vault));
        vm.prank(caller);
        (bool ok,) = address(vault).call(data);
        if (ok) _anomalies.push(string.concat(names[pick], " succeeded for a caller without the role"));
        if (_balanceOf(token, address(vault)) != balance) _anomalies.push("an unauthorized call moved funds");
    }

    // =============================================================================================
    // Admin: proposed, timelocked changes
    // =============================================================================================

    /// @notice The admin proposes a risk-increasing change: raise an operator's limits or a vault cap,
    /// approve a destination, unpause, unsuspend, shorten the delays, loosen the tripwire or opt an
    /// operator out of it (or back in).
    function proposeChange(uint256 kindSeed, uint256 a, uint256 b) external action {
        address op = _operators[(a >> 200) % 2];
        address token = _tokens[(a >> 208) % 3];
        IGuardedVault.ChangeKind kind;
        bytes memory params;
        uint256 pick = _mix(kindSeed) % 10;
        // Three times in four, first get a paused vault or a suspended operator going again (unless that
        // change is already pending).
        if ((_mix(kindSeed) >> 8) % 4 != 0) {
            if (pausedModel && !_isPending(IGuardedVault.ChangeKind.Unpause, address(0))) {
                pick = 0;
            } else {
                for (uint256 k; k < 2; ++k) {
                    address o = _operators[k];
                    if (suspendedOf[o] && !_isPending(IGuardedVault.ChangeKind.UnsuspendOperator, o)) {
                        op = o;
                        pick = 1;
                    }
                }
            }
        }
        if (pick == 0) {
            kind = IGuardedVault.ChangeKind.Unpause;
        } else if (pick <= 2) {
            kind = IGuardedVault.ChangeKind.UnsuspendOperator;
            params = abi.encode(op);
        } else if (pick <= 4) {
            kind = IGuardedVault.ChangeKind.SetOperatorLimits;
            params = abi.encode(_raisedLimits(op, token, a, b));
        } else if (pick == 5) {
            kind = IGuardedVault.ChangeKind.ApproveDestination;
            params = abi.encode(op, _destinations[b % 3]);
        } else if (pick == 6) {
            kind = IGuardedVault.ChangeKind.SetVaultCap;
            uint256 unit = unitOf[token];
            uint256 raised = vaultCapOf[token] + unit * (1 + a % (vaultCapOf[token] / unit + 1));
            params = abi.encode(token, raised > MASK36 * unit ? MASK36 * unit : raised);
        } else if (pick == 7) {
            kind = IGuardedVault.ChangeKind.SetDelays;
            params = abi.encode(uint32(bound(a, 1 hours, changeDelayModel)), uint32(bound(b, 1 hours, withdrawalDelayModel)));
        } else if (pick == 8 && b % 2 == 0) {
            kind = IGuardedVault.ChangeKind.SetTripwireOptOut;
            params = abi.encode(op, (b >> 8) % 2 == 0);
        } else if (pick == 8) {
            kind = IGuardedVault.ChangeKind.SetTripwire; // looser: more withdrawals, shorter periods, or off
            params = abi.encode(uint8((b >> 8) % 21), uint32(bound(b >> 16, 1, 600)));
        } else {
            kind = IGuardedVault.ChangeKind.SetOperatorLimits;
            params = abi.encode(_raisedLimits(op, token, a, b));
        }
        _count(this.proposeChange.selector, false);
        vm.prank(admin);
        try vault.proposeChange(kind, params) returns (uint256 id) {
            if (id != _proposed.length + 1) _anomalies.push("change ids are not sequential");
            _proposed.push(Proposed(kind, params, uint64(block.timestamp + changeDelayModel), IGuardedVault.Status.Pending));
            _count(this.proposeChange.selector, true);
        } catch {}
    }

    /// @notice The admin executes a proposed change: usually the first one that is ready, sometimes any
    /// change at all (not ready yet, already executed, cancelled or expired).
    function executeChange(uint256 idSeed) external action {
        uint256 n = _proposed.length;
        if (n == 0) return;
        uint256 id = 1 + idSeed % n;
        if (_mix(idSeed) % 8 != 0) {
            for (uint256 k; k < n; ++k) {
                uint256 candidate = 1 + (idSeed % n + k) % n;
                Proposed storage c = _proposed[candidate - 1];
                if (c.status == IGuardedVault.Status.Pending && c.eta <= block.timestamp) {
                    id = candidate;
                    break;
                }
            }
        }
        Proposed storage p = _proposed[id - 1];
        ChangeExecution memory e = ChangeExecution(id, p.kind, uint64(block.timestamp), p.eta, p.status == IGuardedVault.Status.Pending);
        _count(this.executeChange.selector, false);
        vm.prank(admin);
        try vault.executeChange(id) {
            // Tightenings stick: a change proposed before the last instant tightening of its target never
            // takes effect; only one proposed after it, having waited its full delay, can loosen it.
            if (id <= _outdatedBy(p.kind, p.params)) _anomalies.push("a change proposed before an instant tightening of its target executed");
            _executions.push(e);
            p.status = IGuardedVault.Status.Executed;
            _apply(p.kind, p.params);
            _count(this.executeChange.selector, true);
        } catch {}
    }

    // =============================================================================================
    // Funding and exposure
    // =============================================================================================

    /// @notice Funds come in: `deposit` for tokens, a plain transfer of a token, or ETH sent directly.
    function deposit(uint256 tokenSeed, uint256 amountSeed, bool direct) external action {
        address token = _tokens[tokenSeed % 3];
        uint256 amount = 1 + amountSeed % _depositScale[token];
        _count(this.deposit.selector, false);
        if (_deposit(token, amount, !direct)) _count(this.deposit.selector, true);
    }

    /// @notice Reads operatorExposure and vaultExposure now, to check later that the operators never
    /// moved more within the horizon than the views said they could.
    function snapshotExposure(uint256 opSeed, uint256 tokenSeed, uint256 horizonSeed) external action {
        if (_snapshots.length >= MAX_SNAPSHOTS) return;
        address op = _operators[opSeed % 2];
        address token = _tokens[tokenSeed % 3];
        uint256 mode = _mix(horizonSeed) % 4;
        uint256 x = horizonSeed >> 8;
        uint256 horizon;
        if (mode == 0) horizon = 1 + x % WINDOW;
        else if (mode == 1) horizon = withdrawalDelayModel + x % 3; // D, D + 1, D + 2: where the queued bound steps up
        else if (mode == 2) horizon = WINDOW * (1 + x % 3) + (x >> 8) % 2; // whole windows, +1 second
        else horizon = 1 + x % (4 days);
        IGuardedVault.Exposure memory e = lens.operatorExposure(vault, op, token, horizon);
        IGuardedVault.Exposure memory v = lens.vaultExposure(vault, token, horizon);
        ExposureSnapshot storage s = _snapshots.push();
        s.operator = op;
        s.token = token;
        s.t0 = uint64(block.timestamp);
        s.horizon = uint64(horizon);
        s.opBound = _saturatingAdd(e.instant, e.queued);
        s.opTotal = e.total;
        s.vaultBound = _saturatingAdd(v.instant, v.queued);
        s.vaultTotal = v.total;
        _count(this.snapshotExposure.selector, true);
    }

    // =============================================================================================
    // Views for the invariant test
    // =============================================================================================

    function flows() external view returns (Flow[] memory) {
        return _flows;
    }

    /// @notice The flows recorded by the last call.
    function newFlows() external view returns (Flow[] memory f) {
        f = new Flow[](_flows.length - _callFirstFlow);
        for (uint256 i; i < f.length; ++i) {
            f[i] = _flows[_callFirstFlow + i];
        }
    }

    function executions() external view returns (ChangeExecution[] memory) {
        return _executions;
    }

    /// @notice The change executions recorded by the last call.
    function newExecutions() external view returns (ChangeExecution[] memory e) {
        e = new ChangeExecution[](_executions.length - _callFirstExecution);
        for (uint256 i; i < e.length; ++i) {
            e[i] = _executions[_callFirstExecution + i];
        }
    }

    function snapshots() external view returns (ExposureSnapshot[] memory) {
        return _snapshots;
    }

    function anomalies() external view returns (string[] memory) {
        return _anomalies;
    }

    /// @notice Per token, in `tokensList` order: what came in, what the vault reported sending out
    /// (instant withdrawals that returned true, executed queued withdrawals, evacuations), and what the
    /// recipients measurably received.
    struct TokenTotals {
        uint256 deposited;
        uint256 reportedOut;
        uint256 received;
    }

    function tokenTotals() external view returns (TokenTotals[3] memory t) {
        for (uint256 i; i < 3; ++i) {
            address token = _tokens[i];
            t[i] = TokenTotals(deposited[token], outInstant[token] + outQueued[token] + outEvacuated[token], receivedTotal[token]);
        }
    }

    /// @notice The model of the policy in one read; operators, tokens and destinations in list order.
    struct PolicyModel {
        bool paused;
        uint32 changeDelay;
        uint32 withdrawalDelay;
        uint8 tripMax;
        uint32 tripPeriod;
        uint256[3] vaultCap;
        bool[2] suspended;
        bool[2] optedOut;
        bool[3][2] approved; // [operator][destination]
        Limits[3][2] limits; // [operator][token]
        uint256[3][2] pending; // [operator][token]
    }

    function policyModel() external view returns (PolicyModel memory m) {
        m.paused = pausedModel;
        m.changeDelay = changeDelayModel;
        m.withdrawalDelay = withdrawalDelayModel;
        m.tripMax = tripMaxModel;
        m.tripPeriod = tripPeriodModel;
        for (uint256 t; t < 3; ++t) {
            m.vaultCap[t] = vaultCapOf[_tokens[t]];
        }
        for (uint256 o; o < 2; ++o) {
            address op = _operators[o];
            m.suspended[o] = suspendedOf[op];
            m.optedOut[o] = optedOutOf[op];
            for (uint256 k; k < 3; ++k) {
                m.approved[o][k] = approvedOf[op][_destinations[k]];
                m.limits[o][k] = _limits[op][_tokens[k]];
                m.pending[o][k] = pendingOf[op][_tokens[k]];
            }
        }
    }

    function operatorsList() external view returns (address[2] memory) {
        return _operators;
    }

    function destinationsList() external view returns (address[3] memory) {
        return _destinations;
    }

    function tokensList() external view returns (address[3] memory) {
        return _tokens;
    }

    // =============================================================================================
    // Internal
    // =============================================================================================

    function _listed(
        IGuardedVault.InitConfig memory config,
        uint256 i,
        address token,
        uint8 unitDecimals,
        uint256 vaultCap,
        uint256[3] memory opLimits
    ) private {
        config.tokens[i] = IGuardedVault.TokenConfig(token, unitDecimals, vaultCap);
        unitOf[token] = 10 ** unitDecimals;
        vaultCapOf[token] = vaultCap;
        _depositScale[token] = vaultCap;
        for (uint256 k; k < 2; ++k) {
            _limits[_operators[k]][token] = Limits(opLimits[0], opLimits[1], opLimits[2]);
        }
    }

    function _count(bytes4 selector, bool success) private {
        if (success) ++successes[selector];
        else ++calls[selector];
    }

    /// @dev An operator; if the model says it is suspended and the other is not, three times in four the
    /// other one (a suspended operator's calls only revert, once in a while is enough).
    function _operator(uint256 seed) private view returns (address op) {
        op = _operators[seed % 2];
        address other = _operators[1 - seed % 2];
        if (suspendedOf[op] && !suspendedOf[other] && _mix(seed) % 4 != 0) op = other;
    }

    /// @dev Mostly a destination the model says is approved for `op`; one time in sixteen any of the three.
    function _destinationFor(address op, uint256 seed) private view returns (address) {
        if (_mix(seed) % 16 != 0) {
            for (uint256 k; k < 3; ++k) {
                address d = _destinations[((seed >> 8) % 3 + k) % 3];
                if (approvedOf[op][d]) return d;
            }
        }
        return _destinations[(seed >> 16) % 3];
    }

    /// @dev Seven calls in eight stay within the policy as far as the operator can tell (at most what
    /// availableNow says, or exactly that, or a fraction of a unit less); the rest go one base unit over,
    /// above the instant limit, or anywhere up to twice the cap.
    function _instantAmount(address op, address token, uint256 seed) private view returns (uint256) {
        Limits memory l = _limits[op][token];
        uint256 unit = unitOf[token];
        uint256 available = lens.availableNow(vault, op, token);
        uint256 mode = _mix(seed) % 32;
        uint256 x = seed >> 8;
        if (available == 0) available = 1 + x % unit;
        if (mode < 16) return 1 + x % available; // within what is left
        if (mode < 22) return available; // exactly what is left
        if (mode < 25) return available > unit ? available - x % unit : available; // a fraction of a unit less
        if (mode < 28) return 1 + x % (l.instant + unit); // within the instant limit, maybe not the cap
        if (mode < 30) return available + 1; // one base unit, so one whole unit, too many
        if (mode == 30) return l.instant + 1; // above the instant limit
        return 1 + x % (l.cap * 2 + unit); // anything up to twice the cap
    }

    function _before(address op, address token, address to) private view returns (Before memory b) {
        b.operator = op;
        b.token = token;
        b.to = to;
        b.vaultBalance = _balanceOf(token, address(vault));
        b.toBalance = _balanceOf(token, to);
    }

    /// @dev The model's view of the policy at the moment of a call that may move funds.
    function _facts(FlowKind kind, Before memory b) private view returns (Flow memory f) {
        f.kind = kind;
        f.operator = b.operator;
        f.token = b.token;
        f.to = b.to;
        f.time = uint64(block.timestamp);
        f.toApproved = approvedOf[b.operator][b.to];
        f.paused = pausedModel;
        f.suspended = suspendedOf[b.operator];
        f.cap = _limits[b.operator][b.token].cap;
        f.vaultCap = vaultCapOf[b.token];
    }

    /// @dev Logs a flow if the vault's balance dropped during the call.
    function _recordFlow(Before memory b, Flow memory f) private {
        uint256 balanceAfter = _balanceOf(b.token, address(vault));
        if (balanceAfter >= b.vaultBalance) return;
        f.amount = b.vaultBalance - balanceAfter;
        f.received = _balanceOf(b.token, b.to) - b.toBalance;
        receivedTotal[b.token] += f.received;
        if (f.kind == FlowKind.Instant) _windowOutflows(f);
        if (f.kind == FlowKind.Queued) {
            for (uint256 i; i < _flows.length; ++i) {
                if (_flows[i].kind == FlowKind.Queued && _flows[i].id == f.id) ++f.earlierExecutions;
            }
        }
        if (f.kind != FlowKind.Evacuation) {
            for (uint256 i; i < _snapshots.length; ++i) {
                ExposureSnapshot storage s = _snapshots[i];
                if (s.token != f.token || f.time > s.t0 + s.horizon) continue;
                s.vaultOut += f.amount;
                if (s.operator == f.operator) s.opOut += f.amount;
            }
        }
        _flows.push(f);
    }

    /// @dev Instant outflow in (t - WINDOW, t] by this operator and by all, including this flow: every
    /// window ending at a withdrawal, which is where any window's outflow is largest.
    function _windowOutflows(Flow memory f) private view {
        f.opWindowOut = f.amount;
        f.vaultWindowOut = f.amount;
        for (uint256 i = _flows.length; i > 0; --i) {
            Flow storage g = _flows[i - 1];
            if (g.time + WINDOW <= f.time) break; // flows are in time order
            if (g.kind != FlowKind.Instant || g.token != f.token) continue;
            f.vaultWindowOut += g.amount;
            if (g.operator == f.operator) f.opWindowOut += g.amount;
        }
    }

    function _lastInstantTime() private view returns (uint256) {
        for (uint256 i = _flows.length; i > 0; --i) {
            if (_flows[i - 1].kind == FlowKind.Instant) return _flows[i - 1].time;
        }
        return 0;
    }

    /// @dev The eta of a pending withdrawal or change that is still ahead, else a day from now.
    function _nextEta(uint256 x) private view returns (uint256) {
        uint256 nq = _queued.length;
        uint256 np = _proposed.length;
        for (uint256 k; k < nq + np; ++k) {
            uint256 i = (x % (nq + np) + k) % (nq + np);
            uint64 eta;
            if (i < nq) {
                if (_queued[i].status != IGuardedVault.Status.Pending) continue;
                eta = _queued[i].eta;
            } else {
                if (_proposed[i - nq].status != IGuardedVault.Status.Pending) continue;
                eta = _proposed[i - nq].eta;
            }
            if (eta > block.timestamp + 1) return eta;
        }
        return block.timestamp + 1 days;
    }

    /// @dev Whether a change of `kind` (for `op`, for UnsuspendOperator) is pending and not expired.
    function _isPending(IGuardedVault.ChangeKind kind, address op) private view returns (bool) {
        for (uint256 i; i < _proposed.length; ++i) {
            Proposed storage p = _proposed[i];
            if (p.kind != kind || p.status != IGuardedVault.Status.Pending || block.timestamp > p.eta + GRACE) continue;
            if (kind != IGuardedVault.ChangeKind.UnsuspendOperator || abi.decode(p.params, (address)) == op) return true;
        }
        return false;
    }

    /// @dev Three times in four a pending withdrawal (starting at a random id; for execution, one whose
    /// eta has come if there is one), else any id at all.
    function _pickQueued(uint256 seed, bool readyFirst) private view returns (uint256) {
        uint256 n = _queued.length;
        uint256 start = seed % n;
        if (_mix(seed) % 4 != 0) {
            uint256 pending;
            for (uint256 k; k < n; ++k) {
                uint256 id = 1 + (start + k) % n;
                Queued storage q = _queued[id - 1];
                if (q.status != IGuardedVault.Status.Pending) continue;
                if (!readyFirst || q.eta <= block.timestamp) return id;
                if (pending == 0) pending = id;
            }
            if (pending != 0) return pending;
        }
        return 1 + start;
    }

    function _lowerLimits(address who, address op, address token, uint256 b) private returns (bool) {
        Limits memory l = _limits[op][token];
        uint256 unit = unitOf[token];
        uint256 cap = l.cap * _lowering(b) / 8 / unit * unit;
        uint256 instant = l.instant * _lowering(b >> 8) / 8 / unit * unit;
        if (instant > cap) instant = cap;
        uint256 queueCap = l.queueCap * ((b >> 32) % 9) / 8;
        if (queueCap > l.queueCap) queueCap = l.queueCap;
        // One time in eight a "lowering" that raises one of the three: it must be refused.
        uint256 raise = _mix(b >> 64) % 24;
        if (raise == 0 && l.cap + unit <= MASK36 * unit) cap = l.cap + unit;
        else if (raise == 1 && l.instant + unit <= cap) instant = l.instant + unit;
        else if (raise == 2) queueCap = l.queueCap + 1;
        else raise = type(uint256).max;
        vm.prank(who);
        try vault.lowerOperatorLimits(IGuardedVault.OperatorLimits(op, token, cap, instant, queueCap)) {
            if (raise <= 2) _anomalies.push("lowerOperatorLimits raised a limit");
            _tighten(IGuardedVault.ChangeKind.SetOperatorLimits, op, token);
            _limits[op][token] = Limits(cap, instant, queueCap);
            return true;
        } catch {
            return false;
        }
    }

    /// @dev Tighter: at most as many withdrawals per no shorter period (or the rule on, if it was off);
    /// one time in eight a looser setting, which must be refused.
    function _tightenTripwire(address who, uint256 b) private returns (bool) {
        uint8 maxCount = uint8(bound(b, 1, tripMaxModel == 0 ? 126 : tripMaxModel));
        uint32 period = uint32(bound(b >> 8, tripPeriodModel, tripPeriodModel + 3600));
        bool loosen = tripMaxModel != 0 && _mix(b >> 64) % 8 == 0;
        if (loosen && tripMaxModel < 126 && (b >> 72) % 2 == 0) (maxCount, period) = (tripMaxModel + 1, tripPeriodModel);
        else if (loosen && tripPeriodModel > 1) (maxCount, period) = (tripMaxModel, tripPeriodModel - 1);
        else loosen = false;
        vm.prank(who);
        try vault.tightenTripwire(maxCount, period) {
            if (loosen) _anomalies.push("tightenTripwire loosened the tripwire");
            _tighten(IGuardedVault.ChangeKind.SetTripwire, address(0), address(0));
            (tripMaxModel, tripPeriodModel) = (maxCount, period);
            return true;
        } catch {
            return false;
        }
    }

    function _tighten(IGuardedVault.ChangeKind kind, address a, address b) private {
        _tightenedAt[keccak256(abi.encode(kind, a, b))] = vault.changeCount();
    }

    function _suspendModel(address op) private {
        if (!suspendedOf[op]) _suspendedAt[op] = vault.changeCount();
        suspendedOf[op] = true;
    }

    /// @dev The model's changeCount at the last instant tightening of the change's target (0: never).
    function _outdatedBy(IGuardedVault.ChangeKind kind, bytes memory params) private view returns (uint256) {
        if (kind == IGuardedVault.ChangeKind.Unpause) return _pausedAt;
        if (kind == IGuardedVault.ChangeKind.UnsuspendOperator) {
            address operator = abi.decode(params, (address));
            return _max(_suspendedAt[operator], _removedAt[operator]);
        }
        address a;
        address b;
        if (kind == IGuardedVault.ChangeKind.SetOperatorLimits) {
            IGuardedVault.OperatorLimits memory l = abi.decode(params, (IGuardedVault.OperatorLimits));
            (a, b) = (l.operator, l.token);
        } else if (kind == IGuardedVault.ChangeKind.ApproveDestination) {
            (a, b) = abi.decode(params, (address, address));
        } else if (kind == IGuardedVault.ChangeKind.SetVaultCap) {
            (a,) = abi.decode(params, (address, uint256));
        } else if (kind == IGuardedVault.ChangeKind.SetTripwireOptOut) {
            (a,) = abi.decode(params, (address, bool));
        }
        uint256 tightened = _tightenedAt[keccak256(abi.encode(kind, a, b))];
        // A removal of the operator outdates every change of it proposed before.
        return kind == IGuardedVault.ChangeKind.SetVaultCap ? tightened : _max(tightened, _removedAt[a]);
    }

    /// @dev Whether `op` is in the vault's operator list (read through the lens).
    function _isOperator(address op) private view returns (bool) {
        address[] memory ops = lens.operators(vault);
        for (uint256 i; i < ops.length; ++i) {
            if (ops[i] == op) return true;
        }
        return false;
    }

    /// @dev A lowering factor in eighths: to zero one time in eight, else to 4/8 .. 8/8 (unchanged).
    function _lowering(uint256 x) private pure returns (uint256) {
        return _mix(x) % 8 == 0 ? 0 : 4 + (_mix(x) >> 3) % 5;
    }

    function _raisedLimits(address op, address token, uint256 a, uint256 b)
        private
        view
        returns (IGuardedVault.OperatorLimits memory)
    {
        Limits memory l = _limits[op][token];
        uint256 unit = unitOf[token];
        uint256 cap = l.cap + unit * (1 + a % (l.cap / unit + 1000));
        if (cap > MASK36 * unit) cap = MASK36 * unit;
        uint256 instant = l.instant + unit * ((b % ((cap - l.instant) / unit + 1)));
        uint256 queueCap = l.queueCap + (b >> 128) % (l.queueCap + 1);
        return IGuardedVault.OperatorLimits(op, token, cap, instant, queueCap);
    }

    function _evacuate(address who, address token, uint256 b) private returns (bool ok) {
        uint256 balance = _balanceOf(token, address(vault));
        uint256 amount = _mix(b) % 16 == 0 ? type(uint256).max : 1 + (b >> 8) % (balance / 8 + 1);
        Before memory before = _before(address(0), token, recovery);
        Flow memory f = _facts(FlowKind.Evacuation, before);
        vm.prank(who);
        try vault.evacuate(token, amount) {
            outEvacuated[token] += amount == type(uint256).max ? balance : amount;
            ok = true;
        } catch {}
        _recordFlow(before, f);
    }

    function _cancelChange(address who, uint256 b) private returns (bool) {
        uint256 n = _proposed.length;
        if (n == 0) return false;
        uint256 id = 1 + b % n;
        Proposed storage p = _proposed[id - 1];
        vm.prank(who);
        try vault.cancelChange(id) {
            if (p.status != IGuardedVault.Status.Pending) _anomalies.push("cancelled a change that was not pending");
            p.status = IGuardedVault.Status.Cancelled;
            return true;
        } catch {
            return false;
        }
    }

    /// @dev Applies an executed change to the model, and retires the exposure bounds it could raise for
    /// snapshots whose horizon is still running (operator: that operator's limits or suspension; vault:
    /// any operator's limits or suspension, the vault cap; both: unpause, delays).
    function _apply(IGuardedVault.ChangeKind kind, bytes memory params) private {
        address op;
        address token;
        bool opBound;
        bool vaultBound;
        if (kind == IGuardedVault.ChangeKind.SetOperatorLimits) {
            IGuardedVault.OperatorLimits memory l = abi.decode(params, (IGuardedVault.OperatorLimits));
            _limits[l.operator][l.token] = Limits(l.cap, l.instantLimit, l.queueCap);
            (op, token, opBound, vaultBound) = (l.operator, l.token, true, true);
        } else if (kind == IGuardedVault.ChangeKind.ApproveDestination) {
            (address operator, address dest) = abi.decode(params, (address, address));
            approvedOf[operator][dest] = true; // the exposure bounds do not depend on destinations
        } else if (kind == IGuardedVault.ChangeKind.SetVaultCap) {
            uint256 cap;
            (token, cap) = abi.decode(params, (address, uint256));
            vaultCapOf[token] = cap;
            (opBound, vaultBound) = (true, true);
        } else if (kind == IGuardedVault.ChangeKind.Unpause) {
            pausedModel = false;
            (opBound, vaultBound) = (true, true);
        } else if (kind == IGuardedVault.ChangeKind.UnsuspendOperator) {
            op = abi.decode(params, (address));
            suspendedOf[op] = false;
            (opBound, vaultBound) = (true, true);
        } else if (kind == IGuardedVault.ChangeKind.SetDelays) {
            (changeDelayModel, withdrawalDelayModel) = abi.decode(params, (uint32, uint32));
            (opBound, vaultBound) = (true, true);
        } else if (kind == IGuardedVault.ChangeKind.SetTripwireOptOut) {
            (address operator, bool optOut) = abi.decode(params, (address, bool));
            optedOutOf[operator] = optOut;
        } else if (kind == IGuardedVault.ChangeKind.SetTripwire) {
            (tripMaxModel, tripPeriodModel) = abi.decode(params, (uint8, uint32));
        }
        for (uint256 i; i < _snapshots.length; ++i) {
            ExposureSnapshot storage snap = _snapshots[i];
            if (block.timestamp > snap.t0 + snap.horizon) continue; // its horizon is over: final
            if (token != address(0) && token != snap.token) continue;
            if (vaultBound) snap.vaultStale = true;
            if (opBound && (op == address(0) || op == snap.operator)) snap.opStale = true;
        }
    }

    function _deposit(address token, uint256 amount, bool viaDeposit) private returns (bool ok) {
        if (token == NATIVE) {
            vm.deal(address(this), address(this).balance + amount);
            (ok,) = address(vault).call{value: amount}("");
        } else {
            MockERC20(token).mint(address(this), amount); // MockUSDT has the same mint
            if (viaDeposit) {
                try vault.deposit(token, amount) {
                    ok = true;
                } catch {}
            } else {
                (ok,) = token.call(abi.encodeWithSelector(MockUSDT.transfer.selector, address(vault), amount));
            }
        }
        if (!ok) return false;
        deposited[token] += amount;
        for (uint256 i; i < _snapshots.length; ++i) {
            if (_snapshots[i].token == token) _snapshots[i].depositedSince += amount;
        }
    }

    function _balanceOf(address token, address account) private view returns (uint256) {
        return token == NATIVE ? account.balance : MockERC20(token).balanceOf(account);
    }

    /// @dev Action and mode choices go through a hash: the fuzzer favours values like 0, 1 and 2**256-1,
    /// which would otherwise always pick the same (often the most disruptive) branch.
    function _mix(uint256 x) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(x)));
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }

    function _saturatingAdd(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 c = a + b;
            return c < a ? type(uint256).max : c;
        }
    }
}
