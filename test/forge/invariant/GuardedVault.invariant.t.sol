// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {GuardedVault} from "../../../contracts/GuardedVault.sol";
import {IGuardedVault} from "../../../contracts/interfaces/IGuardedVault.sol";
import {InvariantBase} from "../base/InvariantBase.sol";
import {VaultHandler} from "./VaultHandler.sol";

/// @notice The vault's guarantees (README, "What the vault guarantees"), checked after every call of a
/// random sequence of operator, guardian, admin, funding and time actions driven by VaultHandler.
/// @dev forge runs one fuzzing campaign per `invariant_` function and checks only that function in it, so
/// every guarantee is checked in one function: each sequence is then judged against all of them, at the
/// cost of one campaign. A failure names the guarantee it broke in its message.
contract GuardedVaultInvariantTest is InvariantBase {
    address internal constant NATIVE = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;
    uint256 internal constant GRACE = 14 days;

    VaultHandler internal handler;
    GuardedVault internal vault;
    address[2] internal operators;
    address[3] internal tokens;
    address[3] internal destinations;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new VaultHandler();
        vault = handler.vault();
        operators = handler.operatorsList();
        tokens = handler.tokensList();
        destinations = handler.destinationsList();
        vm.label(address(handler), "handler");

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = VaultHandler.withdrawInstant.selector;
        selectors[1] = VaultHandler.withdrawInstantBurst.selector;
        selectors[2] = VaultHandler.queueWithdrawal.selector;
        selectors[3] = VaultHandler.executeWithdrawal.selector;
        selectors[4] = VaultHandler.cancelWithdrawal.selector;
        selectors[5] = VaultHandler.warp.selector;
        selectors[6] = VaultHandler.guardianAct.selector;
        selectors[7] = VaultHandler.proposeChange.selector;
        selectors[8] = VaultHandler.executeChange.selector;
        selectors[9] = VaultHandler.deposit.selector;
        selectors[10] = VaultHandler.snapshotExposure.selector;
        selectors[11] = VaultHandler.intruderAct.selector;
        selectors[12] = VaultHandler.removeOperator.selector;
        targetSelector(FuzzSelector(address(handler), selectors));
    }

    /// @dev Runs after every call (check_interval = 1). Movements and change executions are records that
    /// never change once written, so each is judged right after the call that made it; afterInvariant
    /// judges the whole record once more at the end of every run.
    function invariant_vaultGuarantees() public view {
        VaultHandler.Flow[] memory flows = handler.newFlows();
        _checkConservation();
        _checkWindowCaps(flows);
        _checkDestinations(flows);
        _checkPauseAndSuspension(flows);
        _checkQueue(flows);
        _checkChangeTimelock(handler.newExecutions());
        _checkPolicyMatchesModel();
        _checkExposure();
        _checkNoRefusedCallAccepted();
    }

    /// @notice Read by forge at the end of every run: the whole record, whatever the check interval.
    function afterInvariant() public view {
        VaultHandler.Flow[] memory flows = handler.flows();
        _checkWindowCaps(flows);
        _checkDestinations(flows);
        _checkPauseAndSuspension(flows);
        _checkQueue(flows);
        _checkChangeTimelock(handler.executions());
    }

    /// Conservation: per token, the vault holds exactly what came in minus what it reported sending out
    /// (instant withdrawals that returned true, executed queued withdrawals, evacuations), and the
    /// recipients received exactly that much.
    function _checkConservation() private view {
        VaultHandler.TokenTotals[3] memory t = handler.tokenTotals();
        for (uint256 i; i < 3; ++i) {
            uint256 balance = _balanceOf(tokens[i], address(vault));
            assertEq(balance + t[i].reportedOut, t[i].deposited, "conservation: vault balance + outflows != deposits");
            assertEq(t[i].received, t[i].reportedOut, "conservation: recipients received != reported outflows");
        }
    }

    /// Per-operator and vault-wide caps: for every instant withdrawal, the instant outflow of its token in
    /// the interval of length `window` that ends with it, by its operator and by all operators, is at most
    /// the operator's cap and the vault cap as configured at that moment. (The outflow of any interval of
    /// length `window` is largest in one that ends at a withdrawal.)
    function _checkWindowCaps(VaultHandler.Flow[] memory f) private pure {
        for (uint256 i; i < f.length; ++i) {
            if (f[i].kind != VaultHandler.FlowKind.Instant) continue;
            assertLe(f[i].opWindowOut, f[i].cap, "operator cap: instant outflow in one window above the operator's cap");
            assertLe(f[i].vaultWindowOut, f[i].vaultCap, "vault cap: instant outflow in one window above the vault cap");
        }
    }

    /// Whitelist: operator outflows reach only destinations approved for that operator at that moment,
    /// evacuations only the recovery address, and every recipient gets exactly what left the vault.
    function _checkDestinations(VaultHandler.Flow[] memory f) private view {
        address recovery = handler.recovery();
        for (uint256 i; i < f.length; ++i) {
            assertEq(f[i].received, f[i].amount, "whitelist: the recipient did not get what left the vault");
            if (f[i].kind == VaultHandler.FlowKind.Evacuation) {
                assertEq(f[i].to, recovery, "whitelist: evacuation not to the recovery address");
            } else {
                assertTrue(f[i].toApproved, "whitelist: operator outflow to a destination not approved for it");
            }
        }
    }

    /// Pause and suspension: no operator outflow on any path while the vault is paused or the operator is
    /// suspended; evacuations are the one movement allowed.
    function _checkPauseAndSuspension(VaultHandler.Flow[] memory f) private pure {
        for (uint256 i; i < f.length; ++i) {
            if (f[i].kind == VaultHandler.FlowKind.Evacuation) continue;
            assertTrue(!f[i].paused, "pause: operator outflow while the vault was paused");
            assertTrue(!f[i].suspended, "suspension: operator outflow while the operator was suspended");
        }
    }

    /// Queue: a queued withdrawal executes only while pending (never after cancellation, never twice),
    /// not before its eta nor after its grace period, for exactly the queued amount and destination.
    function _checkQueue(VaultHandler.Flow[] memory f) private pure {
        for (uint256 i; i < f.length; ++i) {
            if (f[i].kind != VaultHandler.FlowKind.Queued) continue;
            assertTrue(f[i].wasPending, "queue: executed a withdrawal that was cancelled or already executed");
            assertEq(f[i].earlierExecutions, 0, "queue: a withdrawal executed twice");
            assertGe(f[i].time, f[i].eta, "queue: executed before its delay");
            assertLe(f[i].time, f[i].eta + GRACE, "queue: executed after its grace period");
            assertEq(f[i].amount, f[i].queuedAmount, "queue: executed amount != queued amount");
            assertEq(f[i].to, f[i].queuedTo, "queue: executed destination != queued destination");
        }
    }

    /// Timelock: a change is executed only while pending (a cancelled change never, none twice), and not
    /// before its delay nor after its grace period.
    function _checkChangeTimelock(VaultHandler.ChangeExecution[] memory e) private pure {
        for (uint256 i; i < e.length; ++i) {
            assertTrue(e[i].wasPending, "timelock: executed a change that was cancelled or already executed");
            assertGe(e[i].time, e[i].eta, "timelock: a change took effect before its delay");
            assertLe(e[i].time, e[i].eta + GRACE, "timelock: a change took effect after its grace period");
        }
    }

    /// Timelock, from the other side: the vault's policy is exactly the model's. The model moves only on
    /// the handler's own successful lowerings, revocations, pauses, suspensions, tripwire firings and
    /// executed changes, so a change that had an effect without being executed (when proposed, or after
    /// being cancelled) shows up here.
    function _checkPolicyMatchesModel() private view {
        VaultHandler.PolicyModel memory m = handler.policyModel();
        assertEq(vault.paused(), m.paused, "policy: paused");
        assertEq(vault.changeDelay(), m.changeDelay, "policy: changeDelay");
        assertEq(vault.withdrawalDelay(), m.withdrawalDelay, "policy: withdrawalDelay");
        (uint8 tripMax, uint32 tripPeriod) = handler.lens().tripwire(vault);
        assertEq(tripMax, m.tripMax, "policy: tripwire max count");
        assertEq(tripPeriod, m.tripPeriod, "policy: tripwire period");
        for (uint256 t; t < 3; ++t) {
            assertEq(handler.lens().tokenState(vault, tokens[t]).vaultCap, m.vaultCap[t], "policy: vault cap");
        }
        for (uint256 o; o < 2; ++o) {
            address op = operators[o];
            assertEq(handler.lens().isSuspended(vault, op), m.suspended[o], "policy: suspended");
            assertEq(handler.lens().isTripwireOptedOut(vault, op), m.optedOut[o], "policy: tripwire opt-out");
            for (uint256 k; k < 3; ++k) {
                assertEq(vault.isApproved(op, destinations[k]), m.approved[o][k], "policy: destination approval");
                IGuardedVault.OperatorState memory s = handler.lens().operatorState(vault, op, tokens[k]);
                assertEq(s.cap, m.limits[o][k].cap, "policy: operator cap");
                assertEq(s.instantLimit, m.limits[o][k].instant, "policy: instant limit");
                assertEq(s.queueCap, m.limits[o][k].queueCap, "policy: queue cap");
                assertEq(s.pendingQueued, m.pending[o][k], "policy: pending queued");
                assertEq(s.suspended, m.suspended[o], "policy: suspended (operator state)");
            }
        }
    }

    /// Exposure: what operators moved in [t0, t0 + horizon] never exceeds operatorExposure / vaultExposure
    /// read at t0 (instant + queued; and total plus what was deposited since), unless a change that could
    /// raise that bound was executed within the horizon.
    function _checkExposure() private view {
        VaultHandler.ExposureSnapshot[] memory s = handler.snapshots();
        for (uint256 i; i < s.length; ++i) {
            if (!s[i].opStale) {
                assertLe(s[i].opOut, s[i].opBound, "exposure: operator outflow above operatorExposure instant + queued");
                assertLe(s[i].opOut, s[i].opTotal + s[i].depositedSince, "exposure: operator outflow above operatorExposure total");
            }
            if (!s[i].vaultStale) {
                assertLe(s[i].vaultOut, s[i].vaultBound, "exposure: outflow above vaultExposure instant + queued");
                assertLe(s[i].vaultOut, s[i].vaultTotal + s[i].depositedSince, "exposure: outflow above vaultExposure total");
            }
        }
    }

    /// The vault never accepted a call it must refuse: a call without the role it needs, a "lowering" or
    /// "tightening" that loosens, cancelling what is not pending; nor did queueing or a refused call move
    /// funds, or ids run out of sequence.
    function _checkNoRefusedCallAccepted() private view {
        string[] memory a = handler.anomalies();
        if (a.length != 0) revert(string.concat("refused call accepted: ", a[0]));
    }

    function _balanceOf(address token, address account) private view returns (uint256) {
        return token == NATIVE ? account.balance : IERC20(token).balanceOf(account);
    }
}
