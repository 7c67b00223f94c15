// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RateLimit} from "../../contracts/libraries/RateLimit.sol";
import {TestBase} from "./base/TestBase.sol";

/// @notice Stateless fuzz tests of the limiter math, called directly (the library is internal and pure).
/// Times are seconds since the vault's start and, as in the vault, fit the word's 32-bit `last` field.
contract RateLimitFuzzTest is TestBase {
    using RateLimit for uint256;

    uint256 private constant MASK36 = (1 << 36) - 1;
    uint256 private constant MASK32 = (1 << 32) - 1;
    uint256 private constant CAP_SHIFT = 176;
    uint256 private constant HIGH_SHIFT = 212;
    /// @dev The vault's longest bucket: MAX_WINDOW (30 days) / 3.
    uint256 private constant MAX_BUCKET = 10 days;

    // ---------------------------------------------------------------------------------------------
    // consume
    // ---------------------------------------------------------------------------------------------

    /// consume never reverts, whatever the word and the amount, and when it admits an outflow it rewrites
    /// only the ring and `last`: cap and the caller's 44 high bits come back untouched, every bucket still
    /// fits 36 bits, and the new total is exactly the old total plus the outflow.
    function testFuzz_consumeKeepsFieldsApart(uint256 word, uint256 nowT, uint256 bucketLen, uint256 units)
        public
        pure
    {
        bucketLen = bound(bucketLen, 1, MAX_BUCKET);
        nowT = _nowAfter(word, nowT, bucketLen);
        uint256 cap = word.capOf();
        // Half the runs ask for something the cap may admit, half for any amount at all.
        if (units % 2 == 0) units = bound(units >> 1, 0, cap);
        uint256 usedBefore = word.usedAt(nowT, bucketLen);

        (uint256 updated, uint256 used, bool ok) = word.consume(nowT, bucketLen, units);

        assertEq(used, usedBefore, "consume reports what usedAt sees");
        assertEq(ok, used <= cap && units <= cap - used, "admitted iff used + units fits the cap");
        if (!ok) return; // the word is not written back then
        assertEq(updated >> CAP_SHIFT, word >> CAP_SHIFT, "cap and caller bits untouched");
        assertEq(updated.lastOf(), nowT, "last is now");
        assertEq(updated.usedAt(nowT, bucketLen), used + units, "ring total grew by exactly the outflow");
        assertLe(updated.usedAt(nowT, bucketLen), cap, "ring total within cap");
        uint256 advanced = word.advance(nowT, bucketLen);
        for (uint256 i = 1; i < 4; ++i) {
            assertEq(_bucket(updated, i), _bucket(advanced, i), "older buckets unchanged");
        }
        assertEq(_bucket(updated, 0), _bucket(advanced, 0) + units, "outflow lands in the newest bucket");
    }

    /// A random sequence of (time step, outflow) against one limiter: an outflow is admitted exactly when
    /// the outflow of the four aligned buckets (an exact model kept here) plus it fits the cap, and so no
    /// interval of length window = 3 buckets ever lets more than the cap through. Steps include the same
    /// second, bucket boundaries +-1 second, long gaps, exact fills, fills plus one and absurd amounts.
    function testFuzz_sequenceNeverExceedsCapInAnyWindow(uint256 seed, uint256 cap, uint256 bucketLen, uint256 steps)
        public
        pure
    {
        Sequence memory s;
        s.cap = bound(cap, 1, MASK36);
        s.bucketLen = bound(bucketLen, 1, MAX_BUCKET);
        steps = bound(steps, 1, 48);
        // The caller's 44 high bits (the vault keeps its own fields there) must ride along untouched.
        s.high = uint256(keccak256(abi.encode(seed, "high"))) >> HIGH_SHIFT << HIGH_SHIFT;
        s.word = s.high.withCap(s.cap);
        s.t = uint256(keccak256(abi.encode(seed, "start"))) % (MASK32 / 2);
        s.times = new uint256[](steps);
        s.amounts = new uint256[](steps);
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            s.t = _step(s.t, r, s.bucketLen);
            _consumeAndCheck(s, r >> 64);
        }
    }

    /// @dev One step of the sequence test: the limiter against the exact bucket model and the window bound.
    struct Sequence {
        uint256 word;
        uint256 cap;
        uint256 bucketLen;
        uint256 t;
        uint256[] times;
        uint256[] amounts;
        uint256 n;
        uint256 high;
    }

    function _consumeAndCheck(Sequence memory s, uint256 r) private pure {
        // Exact model: outflow recorded in buckets e-3 .. e, e the bucket of t.
        uint256 bucketSum;
        for (uint256 j; j < s.n; ++j) {
            if (s.times[j] / s.bucketLen + 3 >= s.t / s.bucketLen) bucketSum += s.amounts[j];
        }
        uint256 units = _units(r, s.cap, bucketSum);

        (uint256 updated, uint256 used, bool ok) = s.word.consume(s.t, s.bucketLen, units);
        assertEq(used, bucketSum, "used is the outflow of the four buckets");
        assertEq(ok, units <= s.cap && bucketSum <= s.cap - units, "admitted iff the four buckets plus it fit the cap");
        if (!ok) return;
        s.word = updated;
        s.times[s.n] = s.t;
        s.amounts[s.n++] = units;

        // The interval of length `window` (3 buckets) that ends now: (t - window, t].
        uint256 inWindow;
        for (uint256 j; j < s.n; ++j) {
            if (s.times[j] + 3 * s.bucketLen > s.t) inWindow += s.amounts[j];
        }
        assertLe(inWindow, s.cap, "outflow within one window above the cap");
        assertEq(s.word.capOf(), s.cap, "cap survived the sequence");
        assertEq(s.word >> HIGH_SHIFT << HIGH_SHIFT, s.high, "caller bits survived the sequence");
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// usedAt, availableAt and nextReleaseAt agree with a model that places each stored bucket in its
    /// absolute bucket period (bucket i of the ring is the period i before the one of `last`) and keeps it
    /// while it is one of the four periods ending with now's.
    function testFuzz_viewsMatchReferenceModel(uint256 word, uint256 nowT, uint256 bucketLen) public pure {
        bucketLen = bound(bucketLen, 1, MAX_BUCKET);
        uint256 lastB = word.lastOf() / bucketLen;
        // A real word never holds outflow from before the clock's origin.
        for (uint256 i = lastB + 1; i < 4; ++i) {
            word &= ~(MASK36 << (36 * i));
        }
        nowT = _nowAfter(word, nowT, bucketLen);
        uint256 nowB = nowT / bucketLen;

        uint256 used;
        uint256 release; // when the oldest counted period leaves: its start plus four buckets
        for (uint256 i; i < 4 && i <= lastB; ++i) {
            uint256 period = lastB - i;
            uint256 b = _bucket(word, i);
            if (period + 3 >= nowB && b != 0) {
                used += b;
                release = (period + 4) * bucketLen; // i grows with age: the last one found is the oldest
            }
        }
        uint256 cap = word.capOf();
        assertEq(word.usedAt(nowT, bucketLen), used, "usedAt");
        assertEq(word.availableAt(nowT, bucketLen), used >= cap ? 0 : cap - used, "availableAt");
        assertEq(word.nextReleaseAt(nowT, bucketLen), release, "nextReleaseAt");
    }

    /// nextReleaseAt is exactly when the counted outflow first drops: nothing changes before it.
    function testFuzz_nextReleaseIsWhenUsedDrops(uint256 word, uint256 nowT, uint256 bucketLen) public pure {
        bucketLen = bound(bucketLen, 1, MAX_BUCKET);
        nowT = _nowAfter(word, nowT, bucketLen);
        uint256 used = word.usedAt(nowT, bucketLen);
        uint256 release = word.nextReleaseAt(nowT, bucketLen);
        if (used == 0) {
            assertEq(release, 0, "nothing counted, nothing to release");
            return;
        }
        assertTrue(release > nowT, "release is in the future");
        assertEq(word.usedAt(release - 1, bucketLen), used, "used unchanged until the release");
        assertTrue(word.usedAt(release, bucketLen) < used, "used drops at the release");
    }

    /// An outflow keeps counting for at least a full window (never early) and stops at most one bucket
    /// (window / 3) after the window ends.
    function testFuzz_capacityReturnsAtMostOneBucketLate(uint256 cap, uint256 units, uint256 t, uint256 bucketLen)
        public
        pure
    {
        cap = bound(cap, 1, MASK36);
        units = bound(units, 1, cap);
        bucketLen = bound(bucketLen, 1, MAX_BUCKET);
        t = bound(t, 0, MASK32 - 5 * MAX_BUCKET);
        (uint256 word,, bool ok) = uint256(0).withCap(cap).consume(t, bucketLen, units);
        assertTrue(ok, "an outflow within the cap of an empty limiter is admitted");
        uint256 release = (t / bucketLen + 4) * bucketLen;
        assertTrue(release - t > 3 * bucketLen, "counted for more than a window");
        assertLe(release - t, 4 * bucketLen, "released at most a bucket after the window");
        assertEq(word.usedAt(release - 1, bucketLen), units, "still counted just before the release");
        assertEq(word.usedAt(release, bucketLen), 0, "released");
        assertEq(word.nextReleaseAt(t, bucketLen), release, "nextReleaseAt says when");
        (,, ok) = word.consume(release - 1, bucketLen, cap - units + 1);
        assertTrue(!ok, "one unit too many just before the release");
        (,, ok) = word.consume(release, bucketLen, cap);
        assertTrue(ok, "the whole cap at the release");
    }

    // ---------------------------------------------------------------------------------------------
    // Fields
    // ---------------------------------------------------------------------------------------------

    /// withCap replaces the cap and nothing else.
    function testFuzz_withCapOnlyTouchesCap(uint256 word, uint256 cap) public pure {
        cap = bound(cap, 0, MASK36);
        uint256 updated = word.withCap(cap);
        uint256 capBits = MASK36 << CAP_SHIFT;
        assertEq(updated.capOf(), cap, "cap set");
        assertEq(updated & ~capBits, word & ~capBits, "every other bit untouched");
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    /// @dev A time not before the word's `last` (time never runs backwards), within the 32-bit clock;
    /// half the runs within five buckets of `last`, where the ring still holds something.
    function _nowAfter(uint256 word, uint256 nowT, uint256 bucketLen) private pure returns (uint256) {
        uint256 last = word.lastOf();
        if (nowT % 2 == 0) return bound(nowT, last, MASK32);
        uint256 near = last + 5 * bucketLen;
        return bound(nowT, last, near < MASK32 ? near : MASK32);
    }

    function _bucket(uint256 word, uint256 i) private pure returns (uint256) {
        return (word >> (36 * i)) & MASK36;
    }

    /// @dev Next time: the same second, a few seconds, a bucket boundary -1/0/+1, or up to five buckets on.
    function _step(uint256 t, uint256 r, uint256 bucketLen) private pure returns (uint256) {
        uint256 mode = r % 5;
        uint256 x = r >> 8;
        if (mode == 0) return t;
        if (mode == 1) return t + 1 + x % 60;
        if (mode == 2) {
            uint256 boundary = (t / bucketLen + 1 + x % 3) * bucketLen;
            return boundary + (x >> 8) % 3 - 1; // -1, 0, +1 second around it (boundary > t)
        }
        if (mode == 3) return t + x % (5 * bucketLen);
        return t + 3 * bucketLen - 1 + x % 3; // a window later, -1/0/+1 second
    }

    /// @dev An outflow: random within the cap, exactly what is left, one more than that, or anything at all.
    function _units(uint256 r, uint256 cap, uint256 used) private pure returns (uint256) {
        uint256 left = used >= cap ? 0 : cap - used;
        uint256 mode = r % 6;
        uint256 x = r >> 8;
        if (mode <= 1) return 1 + x % cap;
        if (mode == 2) return left == 0 ? 1 : left;
        if (mode == 3) return left + 1;
        if (mode == 4) return 1 + x % (left == 0 ? 1 : left);
        return x; // any uint256
    }
}
