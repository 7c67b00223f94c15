// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IGuardedVault} from "../interfaces/IGuardedVault.sol";
import {RateLimit} from "../libraries/RateLimit.sol";
import {PolicyWords, LISTED} from "../libraries/PolicyWords.sol";
import {VaultStorage} from "../libraries/VaultStorage.sol";
import {ExposureLib} from "../libraries/ExposureLib.sol";

/// @title VaultLens
/// @notice Read-only views of any GuardedVault's limits, accounting and exposure, decoded from the
/// vault's raw storage (`extsload`). It holds no state and moves nothing: every state transition stays
/// in the vault; the views live here so that the vault's code keeps room for guards.
/// @dev Amounts are in token base units. Reverts with the vault's own errors (`UnknownToken`).
contract VaultLens {
    using RateLimit for uint256;
    using PolicyWords for uint256;

    /// @notice Current limits and accounting of `operator` for `token`.
    function operatorState(IGuardedVault vault, address operator, address token)
        public
        view
        returns (IGuardedVault.OperatorState memory s)
    {
        (uint256 word, uint256 tokenWord, uint256 queueCap, uint256 pending) =
            VaultStorage.readOperator(vault, operator, token);
        _requireListed(token, tokenWord);
        (uint256 start, uint256 bucket) = _clock(vault);
        uint256 nowT = block.timestamp - start;
        uint256 unit = tokenWord.unitOf();
        s.cap = word.capOf() * unit;
        s.instantLimit = word.instantLimitOf() * unit;
        s.queueCap = queueCap;
        s.pendingQueued = pending;
        s.used = word.usedAt(nowT, bucket) * unit;
        s.available = word.availableAt(nowT, bucket) * unit;
        s.nextRelease = _toTimestamp(start, word.nextReleaseAt(nowT, bucket));
        s.suspended = isSuspended(vault, operator);
    }

    /// @notice Current vault-wide limits and accounting of `token` (all zero if it is not listed).
    function tokenState(IGuardedVault vault, address token) public view returns (IGuardedVault.TokenState memory s) {
        uint256 word = VaultStorage.readToken(vault, token);
        if (word & LISTED == 0) return s;
        (uint256 start, uint256 bucket) = _clock(vault);
        uint256 nowT = block.timestamp - start;
        uint256 unit = word.unitOf();
        s.listed = true;
        s.unitDecimals = uint8(word.unitDecimalsOf());
        s.vaultCap = word.capOf() * unit;
        s.used = word.usedAt(nowT, bucket) * unit;
        s.available = word.availableAt(nowT, bucket) * unit;
        s.nextRelease = _toTimestamp(start, word.nextReleaseAt(nowT, bucket));
        s.balance = _balanceOf(vault, token);
    }

    /// @notice What `operator` can withdraw of `token` instantly right now, all limits considered: its
    /// window cap, instant limit, the vault-wide cap, the balance, pause, suspension, and the tripwire's
    /// rate rule (0 while one more withdrawal in the current period would trip it).
    function availableNow(IGuardedVault vault, address operator, address token) external view returns (uint256) {
        IGuardedVault.OperatorState memory o = operatorState(vault, operator, token);
        if (vault.paused() || o.suspended) return 0;
        (uint256 opWord, uint256 tokenWord,,) = VaultStorage.readOperator(vault, operator, token);
        (uint256 count, uint256 maxCount) = opWord.periodCount(tokenWord, block.timestamp - vault.clockStart());
        if (maxCount != 0 && count > maxCount) return 0;
        IGuardedVault.TokenState memory t = tokenState(vault, token);
        return Math.min(Math.min(o.available, o.instantLimit), Math.min(t.available, t.balance));
    }

    /// @notice Most a stolen key of `operator` could move of `token` at block timestamps in the closed
    /// interval [now, now + horizon], if nobody intervenes and the policy stays as it is; a contract that
    /// reads it and acts in the same block is inside that interval.
    /// @dev instant = min(cap, vaultCap) * (floor(horizon / window) + 1); queued = pending + queueCap *
    /// floor(horizon / withdrawalDelay) (ExposureLib). Zero while the vault is paused or the operator
    /// suspended. Total is capped by the vault's balance.
    function operatorExposure(IGuardedVault vault, address operator, address token, uint256 horizon)
        external
        view
        returns (IGuardedVault.Exposure memory e)
    {
        uint256 tokenWord = VaultStorage.readToken(vault, token);
        _requireListed(token, tokenWord);
        if (!vault.paused()) e = _operatorBound(vault, operator, token, horizon, vault.window(), vault.withdrawalDelay());
        e.total = Math.min(Math.saturatingAdd(e.instant, e.queued), _balanceOf(vault, token));
    }

    /// @notice Most all operator keys together could move of `token` at block timestamps in the closed
    /// interval [now, now + horizon].
    /// @dev instant = min(vaultCap * (floor(horizon / window) + 1), sum of the operators' instant
    /// bounds); queued = sum of the operators' queued bounds; total is capped by the vault's balance.
    function vaultExposure(IGuardedVault vault, address token, uint256 horizon)
        external
        view
        returns (IGuardedVault.Exposure memory e)
    {
        uint256 tokenWord = VaultStorage.readToken(vault, token);
        _requireListed(token, tokenWord);
        if (!vault.paused()) {
            uint256 window = vault.window();
            uint256 delay = vault.withdrawalDelay();
            address[] memory ops = operators(vault);
            for (uint256 i; i < ops.length; ++i) {
                IGuardedVault.Exposure memory o = _operatorBound(vault, ops[i], token, horizon, window, delay);
                e.instant = Math.saturatingAdd(e.instant, o.instant);
                e.queued = Math.saturatingAdd(e.queued, o.queued);
            }
            uint256 vaultBound = ExposureLib.instantBound(tokenWord.capOf() * tokenWord.unitOf(), horizon, window);
            e.instant = Math.min(e.instant, vaultBound);
        }
        e.total = Math.min(Math.saturatingAdd(e.instant, e.queued), _balanceOf(vault, token));
    }

    /// @notice A queued withdrawal (all zero if no withdrawal has this id). One that was pending when its
    /// operator was removed reads as Cancelled.
    function getWithdrawal(IGuardedVault vault, uint256 id)
        external
        view
        returns (IGuardedVault.QueuedWithdrawal memory w)
    {
        bytes32[] memory words = VaultStorage.readWords(vault, VaultStorage.mappingSlot(VaultStorage.WITHDRAWALS_SLOT, id), 4);
        uint256 head = uint256(words[0]);
        w.operator = address(uint160(head));
        w.eta = uint64(head >> 160);
        w.status = IGuardedVault.Status(uint8(head >> 224));
        w.token = address(uint160(uint256(words[1])));
        if (w.status == IGuardedVault.Status.Pending) {
            uint256 queuedIn = VaultStorage.uint32At(uint256(words[1]), VaultStorage.WITHDRAWAL_GENERATION_OFFSET);
            uint256 info = VaultStorage.readOperatorInfo(vault, w.operator);
            if (queuedIn != VaultStorage.uint32At(info, VaultStorage.INFO_GENERATION_OFFSET)) {
                w.status = IGuardedVault.Status.Cancelled;
            }
        }
        w.to = address(uint160(uint256(words[2])));
        w.amount = uint256(words[3]);
    }

    /// @notice A proposed change (all zero if no change has this id).
    function getChange(IGuardedVault vault, uint256 id) external view returns (IGuardedVault.Change memory c) {
        bytes32 slot = VaultStorage.mappingSlot(VaultStorage.CHANGES_SLOT, id);
        uint256 head = VaultStorage.read(vault, slot);
        c.kind = IGuardedVault.ChangeKind(uint8(head));
        c.status = IGuardedVault.Status(uint8(head >> 8));
        c.eta = uint64(head >> 16);
        c.params = VaultStorage.readBytes(vault, bytes32(uint256(slot) + 1));
    }

    /// @notice The two packed words the instant path reads, for off-chain mirrors of the policy.
    /// @dev Their layout is drawn in libraries/PolicyWords.sol. opWord: [0,144) ring of four 36-bit
    /// buckets (bucket 0 = newest), [144,176) last outflow time (seconds since clockStart), [176,212) cap
    /// in units, [212,248) instant limit in units, [248,255) withdrawals counted in the tripwire period of
    /// the last outflow, [255] held (suspended, or removed and added again: read its record). tokenWord: [0,212) the same limiter for the vault-wide cap,
    /// [212,219) unitDecimals, [219,226) tripwire max count, [226,254) tripwire period, [254] paused,
    /// [255] listed.
    function policyWords(IGuardedVault vault, address operator, address token)
        external
        view
        returns (uint256 opWord, uint256 tokenWord)
    {
        (opWord, tokenWord,,) = VaultStorage.readOperator(vault, operator, token);
    }

    /// @notice The listed tokens, in listing order.
    function tokens(IGuardedVault vault) external view returns (address[] memory) {
        return VaultStorage.readAddresses(vault, VaultStorage.TOKENS_SLOT);
    }

    /// @notice The vault's operators.
    function operators(IGuardedVault vault) public view returns (address[] memory) {
        return VaultStorage.readAddresses(vault, VaultStorage.OPERATORS_SLOT);
    }

    /// @notice The tripwire's rate rule: more than `maxCount` instant withdrawals of one token by one
    /// operator within one period of `period` seconds trips it (maxCount 0: rule off). Periods are
    /// aligned to the vault's deployment time, like the limiter's buckets.
    function tripwire(IGuardedVault vault) external view returns (uint8 maxCount, uint32 period) {
        maxCount = uint8(VaultStorage.read(vault, bytes32(VaultStorage.TRIP_MAX_SLOT)) >> (VaultStorage.TRIP_MAX_OFFSET * 8));
        period = uint32(VaultStorage.read(vault, bytes32(VaultStorage.TRIP_PERIOD_SLOT)) >> (VaultStorage.TRIP_PERIOD_OFFSET * 8));
    }

    /// @notice Whether `operator` is suspended.
    function isSuspended(IGuardedVault vault, address operator) public view returns (bool) {
        return VaultStorage.flagAt(VaultStorage.readOperatorInfo(vault, operator), VaultStorage.INFO_SUSPENDED_OFFSET);
    }

    /// @notice Whether `operator` opted out of the tripwire (it then gets plain reverts).
    function isTripwireOptedOut(IGuardedVault vault, address operator) external view returns (bool) {
        return VaultStorage.flagAt(VaultStorage.readOperatorInfo(vault, operator), VaultStorage.INFO_OPT_OUT_OFFSET);
    }

    /// @dev Bounds of one operator's key, without the balance cap (the vault is not paused).
    function _operatorBound(
        IGuardedVault vault,
        address operator,
        address token,
        uint256 horizon,
        uint256 window,
        uint256 delay
    ) private view returns (IGuardedVault.Exposure memory e) {
        if (isSuspended(vault, operator)) return e;
        (uint256 opWord, uint256 tokenWord, uint256 queueCap, uint256 pending) =
            VaultStorage.readOperator(vault, operator, token);
        uint256 perWindow = Math.min(opWord.capOf(), tokenWord.capOf()) * tokenWord.unitOf();
        e.instant = ExposureLib.instantBound(perWindow, horizon, window);
        e.queued = ExposureLib.queuedBound(pending, queueCap, horizon, delay);
    }

    function _clock(IGuardedVault vault) private view returns (uint256 start, uint256 bucket) {
        return (vault.clockStart(), vault.window() / 3);
    }

    function _requireListed(address token, uint256 tokenWord) private pure {
        if (tokenWord & LISTED == 0) revert IGuardedVault.UnknownToken(token);
    }

    function _toTimestamp(uint256 start, uint256 t) private pure returns (uint256) {
        return t == 0 ? 0 : start + t;
    }

    function _balanceOf(IGuardedVault vault, address token) private view returns (uint256) {
        if (token == vault.NATIVE()) return address(vault).balance;
        (bool ok, bytes memory data) = token.staticcall(abi.encodeCall(IERC20.balanceOf, (address(vault))));
        return ok && data.length >= 32 ? abi.decode(data, (uint256)) : 0;
    }
}
