// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GuardedVault} from "./GuardedVault.sol";
import {IVaultFactory} from "./interfaces/IVaultFactory.sol";

/// @title VaultFactory
/// @notice Deploys GuardedVaults with CREATE2: the address depends only on this factory's address, the
/// salt and the vault's init code (creation code plus the ABI-encoded InitConfig), so the same salt and
/// config give the same vault address on every chain where the factory sits at the same address.
/// @dev The vault's creation code is too large to embed in this contract's runtime code (EIP-170), so the
/// caller passes the init code and the factory checks that it starts with GuardedVault's creation code,
/// whose hash and length it records at construction. It can therefore deploy nothing but a GuardedVault,
/// and the whole initial policy applies in the deployment transaction itself.
contract VaultFactory is IVaultFactory {
    /// @inheritdoc IVaultFactory
    bytes32 public immutable VAULT_CODE_HASH;
    /// @inheritdoc IVaultFactory
    uint256 public immutable VAULT_CODE_LENGTH;

    /// @notice Records GuardedVault's creation code (only in this constructor, not in the runtime code).
    constructor() {
        bytes memory code = type(GuardedVault).creationCode;
        VAULT_CODE_HASH = keccak256(code);
        VAULT_CODE_LENGTH = code.length;
    }

    /// @inheritdoc IVaultFactory
    function deploy(bytes32 salt, bytes calldata initCode) external returns (address vault) {
        uint256 codeLength = VAULT_CODE_LENGTH;
        if (initCode.length <= codeLength || keccak256(initCode[:codeLength]) != VAULT_CODE_HASH) revert NotAVault();
        bytes memory code = initCode;
        assembly ("memory-safe") {
            vault := create2(0, add(code, 32), mload(code), salt)
        }
        // CREATE2 yields zero if the address is taken or the constructor reverted (a bad config).
        if (vault == address(0)) revert DeploymentFailed(predict(salt, keccak256(initCode)));
        emit VaultDeployed(vault, salt, keccak256(initCode[codeLength:]), msg.sender);
    }

    /// @inheritdoc IVaultFactory
    function predict(bytes32 salt, bytes32 initCodeHash) public view returns (address) {
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash));
        return address(uint160(uint256(h)));
    }
}
