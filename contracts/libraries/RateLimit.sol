// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RateLimit
/// @notice Strict sliding-window limiter kept in the low 212 bits of one storage word.
/// @dev A limiter word packs, from the least significant bit:
///   [0, 144)   ring: four 36-bit buckets of outflow (in units); bucket i holds the outflow of the
///              aligned bucket period that lies i periods before the one of `last`
///   [144, 176) last: time of the last recorded outflow, in seconds since the vault's start
///   [176, 212) cap: the most that may be counted at once, in units
/// The upper 44 bits belong to the caller and are carried through untouched.
///
/// Why this keeps the bound: with bucket length L = window / 3 and t in bucket e, the interval
/// (t - window, t] lies inside buckets e-3 .. e, which are exactly the four buckets of the ring. A new
/// outflow is admitted only if the sum of all four plus the outflow fits the cap, so no interval of length
/// `window` ever holds more than the cap. The price: an outflow in bucket e keeps counting until bucket
/// e+4 starts, at most window + L after it happened, so capacity can return up to L = window/3 late.
library RateLimit {
    uint256 internal constant BUCKETS = 4;
    uint256 internal constant AMOUNT_BITS = 36;
    uint256 internal constant AMOUNT_MASK = (1 << AMOUNT_BITS) - 1;
    uint256 internal constant RING_BITS = AMOUNT_BITS * BUCKETS;
    uint256 internal constant RING_MASK = (1 << RING_BITS) - 1;
    uint256 internal constant LAST_SHIFT = RING_BITS;
    uint256 internal constant LAST_MASK = (1 << 32) - 1;
    uint256 internal constant CAP_SHIFT = LAST_SHIFT + 32;
    /// @dev Ring and last together: what `consume` rewrites.
    uint256 internal constant STATE_MASK = (1 << CAP_SHIFT) - 1;

    /// @notice Records `units` of outflow at time `nowT` if it fits the cap.
    /// @param word The limiter word.
    /// @param nowT Current time in seconds since the vault's start; never before the word's `last`.
    /// @param bucketLen Bucket length in seconds (window / 3).
    /// @param units Outflow to record.
    /// @return updated The word with the outflow recorded (meaningful only if `ok`).
    /// @return used Outflow counted at `nowT` before this one.
    /// @return ok Whether `used + units <= cap`.
    function consume(uint256 word, uint256 nowT, uint256 bucketLen, uint256 units)
        internal
        pure
        returns (uint256 updated, uint256 used, bool ok)
    {
        uint256 ring = advance(word, nowT, bucketLen);
        used = sum(ring);
        uint256 cap = capOf(word);
        unchecked {
            // units <= cap - used also keeps bucket 0 below 2**36: the sum of all buckets never passes cap.
            ok = used <= cap && units <= cap - used;
            updated = (word & ~STATE_MASK) | (nowT << LAST_SHIFT) | (ring + units);
        }
    }

    /// @notice The ring as seen at `nowT`: buckets that left the window are dropped.
    function advance(uint256 word, uint256 nowT, uint256 bucketLen) internal pure returns (uint256) {
        unchecked {
            // Time never runs backwards: nowT >= last, so the difference of bucket indices is >= 0.
            uint256 elapsed = nowT / bucketLen - lastOf(word) / bucketLen;
            if (elapsed >= BUCKETS) return 0;
            return (word << (elapsed * AMOUNT_BITS)) & RING_MASK;
        }
    }

    /// @notice Total outflow counted in a ring.
    function sum(uint256 ring) internal pure returns (uint256 total) {
        unchecked {
            total = (ring & AMOUNT_MASK) + ((ring >> AMOUNT_BITS) & AMOUNT_MASK)
                + ((ring >> (2 * AMOUNT_BITS)) & AMOUNT_MASK) + ((ring >> (3 * AMOUNT_BITS)) & AMOUNT_MASK);
        }
    }

    /// @notice Outflow counted at `nowT`.
    function usedAt(uint256 word, uint256 nowT, uint256 bucketLen) internal pure returns (uint256) {
        return sum(advance(word, nowT, bucketLen));
    }

    /// @notice What the cap still admits at `nowT`.
    function availableAt(uint256 word, uint256 nowT, uint256 bucketLen) internal pure returns (uint256) {
        uint256 used = usedAt(word, nowT, bucketLen);
        uint256 cap = capOf(word);
        return used >= cap ? 0 : cap - used;
    }

    /// @notice Time (seconds since start) at which the oldest counted outflow stops counting; 0 if none.
    function nextReleaseAt(uint256 word, uint256 nowT, uint256 bucketLen) internal pure returns (uint256) {
        uint256 ring = advance(word, nowT, bucketLen);
        if (ring == 0) return 0;
        // The oldest non-empty bucket holds the ring's most significant set bit; bucket i leaves the
        // ring when BUCKETS - i more buckets have started.
        uint256 oldest = Math.log2(ring) / AMOUNT_BITS;
        return (nowT / bucketLen + BUCKETS - oldest) * bucketLen;
    }

    /// @notice The cap field of a limiter word.
    function capOf(uint256 word) internal pure returns (uint256) {
        return (word >> CAP_SHIFT) & AMOUNT_MASK;
    }

    /// @notice The word with its cap replaced (`cap` must fit 36 bits).
    function withCap(uint256 word, uint256 cap) internal pure returns (uint256) {
        return (word & ~(AMOUNT_MASK << CAP_SHIFT)) | (cap << CAP_SHIFT);
    }

    /// @notice The `last` field of a limiter word.
    function lastOf(uint256 word) internal pure returns (uint256) {
        return (word >> LAST_SHIFT) & LAST_MASK;
    }
}
