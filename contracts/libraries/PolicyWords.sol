// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RateLimit} from "./RateLimit.sol";

// The two packed words the instant path reads, above the 212-bit limiter of RateLimit.sol. Shared by
// GuardedVault (which writes them) and VaultLens / the SDK (which decode them).
//
// Operator word (operator => token):
//   [0, 212)   limiter for the operator's window cap (RateLimit)
//   [212, 248) instant limit in units
//   [248, 255) instant withdrawals counted in the tripwire period of the limiter's `last`
//   [255]      held: the hot path must read the operator's record. Set while the operator is suspended
//              (so that an operator in good standing costs no extra slot), and on every word of an
//              operator that was removed and added again (its destinations carry its generation).
//
// Token word (token):
//   [0, 212)   limiter for the vault-wide cap (RateLimit)
//   [212, 219) unit decimals
//   [219, 226) tripwire max count
//   [226, 254) tripwire period in seconds
//   [254]      paused (mirrors the vault's flag)
//   [255]      listed

uint256 constant INSTANT_SHIFT = 212;
uint256 constant COUNT_SHIFT = 248;
uint256 constant COUNT_MASK = 0x7f;
uint256 constant HELD = 1 << 255;

uint256 constant UNIT_SHIFT = 212;
uint256 constant UNIT_MASK = 0x7f;
uint256 constant TRIP_MAX_SHIFT = 219;
uint256 constant TRIP_MAX_MASK = 0x7f;
uint256 constant TRIP_PERIOD_SHIFT = 226;
uint256 constant TRIP_PERIOD_MASK = (1 << 28) - 1;
uint256 constant PAUSED = 1 << 254;
uint256 constant LISTED = 1 << 255;

/// @title PolicyWords
/// @notice Accessors of the operator and token words whose layout is drawn above.
library PolicyWords {
    /// @notice The operator word's instant limit, in units.
    function instantLimitOf(uint256 opWord) internal pure returns (uint256) {
        return (opWord >> INSTANT_SHIFT) & RateLimit.AMOUNT_MASK;
    }

    /// @notice The operator word with its instant limit replaced (`units` must fit 36 bits).
    function withInstantLimit(uint256 opWord, uint256 units) internal pure returns (uint256) {
        return (opWord & ~(RateLimit.AMOUNT_MASK << INSTANT_SHIFT)) | (units << INSTANT_SHIFT);
    }

    /// @notice The token word's unit decimals.
    function unitDecimalsOf(uint256 tokenWord) internal pure returns (uint256) {
        return (tokenWord >> UNIT_SHIFT) & UNIT_MASK;
    }

    /// @notice 10**unitDecimals: base units per unit.
    function unitOf(uint256 tokenWord) internal pure returns (uint256) {
        unchecked {
            // unitDecimals <= MAX_UNIT_DECIMALS (54): no overflow.
            return 10 ** unitDecimalsOf(tokenWord);
        }
    }

    /// @notice This withdrawal's number within the operator's current tripwire period, and the maximum
    /// (0: the rate rule is off).
    function periodCount(uint256 opWord, uint256 tokenWord, uint256 nowT)
        internal
        pure
        returns (uint256 count, uint256 maxCount)
    {
        count = 1;
        maxCount = (tokenWord >> TRIP_MAX_SHIFT) & TRIP_MAX_MASK;
        if (maxCount == 0) return (count, maxCount);
        uint256 period = (tokenWord >> TRIP_PERIOD_SHIFT) & TRIP_PERIOD_MASK;
        unchecked {
            if (nowT / period == RateLimit.lastOf(opWord) / period) count += (opWord >> COUNT_SHIFT) & COUNT_MASK;
        }
    }
}
