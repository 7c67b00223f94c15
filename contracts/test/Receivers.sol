// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice An ETH recipient that reverts.
contract RevertingReceiver {
    receive() external payable {
        revert("no ETH");
    }
}

/// @notice An ETH recipient that burns all the gas it is given.
contract GasBurner {
    receive() external payable {
        while (true) {}
    }
}

/// @notice An account that can act as an operator and, on receiving ETH, calls back into the vault.
contract ReentrantOperator {
    address public immutable vault;
    bytes public payload;
    bool public lastCallOk;
    bytes public lastReturn;

    constructor(address vault_) {
        vault = vault_;
    }

    function arm(bytes calldata payload_) external {
        payload = payload_;
    }

    /// @notice Forwards any call to the vault as this contract (so it can act as an operator).
    function call(bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = vault.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        if (payload.length != 0) {
            (lastCallOk, lastReturn) = vault.call(payload);
            // Fail the transfer if the re-entry failed, so the outer call sees it.
            require(lastCallOk, "reentry failed");
        }
    }
}
