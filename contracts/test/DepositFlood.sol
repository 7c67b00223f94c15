// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test helper: sends `count` deposits of 1 wei each to `target` in one transaction, so that a test
/// can give a vault a long event history (one `Deposited` log per deposit) in a few blocks.
contract DepositFlood {
    error DepositFailed(uint256 index);

    function flood(address payable target, uint256 count) external payable {
        for (uint256 i; i < count; ++i) {
            (bool ok,) = target.call{value: 1}("");
            if (!ok) revert DepositFailed(i);
        }
    }
}
