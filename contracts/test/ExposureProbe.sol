// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGuardedVault} from "../interfaces/IGuardedVault.sol";
import {VaultLens} from "../lens/VaultLens.sol";

/// @notice A contract that reads an exposure bound on-chain and keeps it, so that a test can act on the
/// vault in the same block and compare.
contract ExposureProbe {
    IGuardedVault.Exposure public seen;

    function record(VaultLens lens, IGuardedVault vault, address operator, address token, uint256 horizon) external {
        seen = lens.operatorExposure(vault, operator, token, horizon);
    }
}
