// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ExposureLib
/// @notice Worst-case outflow of one key over the closed interval [now, now + horizon] of block
/// timestamps, as pure math so that it can be fuzzed alone. Timestamps are whole seconds, so the closed
/// interval holds `horizon + 1` of them, and a contract that reads the bound and acts in the same block
/// is inside it.
/// @dev Instant: every interval of `window` seconds lets out at most `perWindow`; horizon + 1 seconds
/// are covered by ceil((horizon + 1) / window) such intervals. Queued: what is pending now can all execute
/// within the interval; a withdrawal queued at time q executes no earlier than q + delay, and the queue
/// cap is free again only once it executed or was cancelled, so one queue cap's worth can be queued at
/// now, executed at now + delay, queued again then, and so on: floor(horizon / delay) more queue caps.
library ExposureLib {
    /// @notice Bound on instant outflow: perWindow * ceil((horizon + 1) / window), saturating.
    function instantBound(uint256 perWindow, uint256 horizon, uint256 window) internal pure returns (uint256) {
        return Math.saturatingMul(perWindow, horizon / window + 1);
    }

    /// @notice What the co-signed paths add to `instantBound` when an approver's key is stolen too:
    /// min(cosignedCap, vaultCap - min(cap, vaultCap)) * ceil((horizon + 1) / window), saturating. Per
    /// window the instant path moves at most `cap`, the co-signed paths (co-signed withdrawals and early
    /// releases) at most `cosignedCap`, and all of them together at most `vaultCap`, which they all charge.
    function cosignedBound(uint256 cap, uint256 cosignedCap, uint256 vaultCap, uint256 horizon, uint256 window)
        internal
        pure
        returns (uint256)
    {
        return instantBound(Math.min(cosignedCap, vaultCap - Math.min(cap, vaultCap)), horizon, window);
    }

    /// @notice Bound on queued outflow: pending + queueCap * floor(horizon / delay), saturating.
    function queuedBound(uint256 pending, uint256 queueCap, uint256 horizon, uint256 delay)
        internal
        pure
        returns (uint256)
    {
        return Math.saturatingAdd(pending, Math.saturatingMul(queueCap, horizon / delay));
    }
}
