// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// The vault's bounds, shared by GuardedVault, its lens and the tests (the SDK mirrors them in
// sdk/rules/constants.ts; test/constants.test.ts checks both against this file). They are file-level
// constants rather than public getters so that they cost the vault's runtime code nothing.

/// @dev Fewest guardians a vault has at any time: with one, a stolen admin key could remove it and
/// nobody would be left to veto the admin's next changes.
uint256 constant MIN_GUARDIANS = 2;
/// @dev Most tokens a vault lists; bounds the loops of pause, suspension and removal.
uint256 constant MAX_TOKENS = 32;
/// @dev Most operators a vault has at once (a removed operator frees its slot); bounds the lens's loops.
uint256 constant MAX_OPERATORS = 64;
/// @dev Shortest change or withdrawal delay.
uint256 constant MIN_DELAY = 1 hours;
/// @dev Longest change or withdrawal delay.
uint256 constant MAX_DELAY = 30 days;
/// @dev Shortest rate-limit window.
uint256 constant MIN_WINDOW = 1 hours;
/// @dev Longest rate-limit window.
uint256 constant MAX_WINDOW = 30 days;
/// @dev How long after its eta a change or queued withdrawal can still be executed.
uint256 constant GRACE_PERIOD = 14 days;
/// @dev Largest unitDecimals. Every limit (cap, instant limit, queue cap, vault cap) is a whole number of
/// units below 2**36, and a queue's pending total is kept in base units in 216 bits: (2**36 - 1) *
/// 10**54 < 2**216, so any queue cap can be filled. A token with d decimals can so have limits of up to
/// (2**36 - 1) * 10**(54 - d) whole tokens, e.g. 6.8e10 tokens of a 54-decimal token.
uint256 constant MAX_UNIT_DECIMALS = 54;
/// @dev Largest tripwire max count (7 bits, and one more must still be countable).
uint256 constant MAX_TRIP_COUNT = 126;
/// @dev Longest tripwire period in seconds (28 bits).
uint256 constant MAX_TRIP_PERIOD = (1 << 28) - 1;
