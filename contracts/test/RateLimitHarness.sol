// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RateLimit} from "../libraries/RateLimit.sol";

/// @notice Exposes the RateLimit library for direct tests.
contract RateLimitHarness {
    using RateLimit for uint256;

    function consume(uint256 word, uint256 nowT, uint256 bucketLen, uint256 units)
        external
        pure
        returns (uint256 updated, uint256 used, bool ok)
    {
        return word.consume(nowT, bucketLen, units);
    }

    function usedAt(uint256 word, uint256 nowT, uint256 bucketLen) external pure returns (uint256) {
        return word.usedAt(nowT, bucketLen);
    }

    function availableAt(uint256 word, uint256 nowT, uint256 bucketLen) external pure returns (uint256) {
        return word.availableAt(nowT, bucketLen);
    }

    function nextReleaseAt(uint256 word, uint256 nowT, uint256 bucketLen) external pure returns (uint256) {
        return word.nextReleaseAt(nowT, bucketLen);
    }

    function withCap(uint256 word, uint256 cap) external pure returns (uint256) {
        return word.withCap(cap);
    }
}
