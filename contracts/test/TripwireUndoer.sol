// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGuardedVault} from "../interfaces/IGuardedVault.sol";

/// @notice What a thief could install on a stolen operator key with an EIP-7702 delegation: it calls the
/// vault as the key and reverts whenever the vault answers `false`, which would undo the suspension the
/// tripwire just wrote. Tests place its runtime code at an operator's address (hardhat_setCode).
contract TripwireUndoer {
    error Undone();

    function withdrawOrUndo(IGuardedVault vault, address token, address to, uint256 amount) external {
        if (!vault.withdrawInstant(token, to, amount)) revert Undone();
    }

    function queueOrUndo(IGuardedVault vault, address token, address to, uint256 amount) external {
        if (vault.queueWithdrawal(token, to, amount) == 0) revert Undone();
    }
}
