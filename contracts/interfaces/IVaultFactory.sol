// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IVaultFactory
/// @notice Deterministic (CREATE2) deployment of GuardedVaults with their initial policy.
interface IVaultFactory {
    /// @notice A vault was deployed.
    /// @param vault Its address.
    /// @param salt The CREATE2 salt.
    /// @param configHash keccak256 of the ABI-encoded constructor arguments (the InitConfig).
    /// @param deployer Who called `deploy`.
    event VaultDeployed(address indexed vault, bytes32 indexed salt, bytes32 configHash, address indexed deployer);

    /// @notice The init code is not GuardedVault's creation code followed by constructor arguments.
    error NotAVault();

    /// @notice CREATE2 failed: a contract already sits at `predicted`, or the vault's constructor
    /// rejected the config.
    error DeploymentFailed(address predicted);

    /// @notice keccak256 of GuardedVault's creation code, without constructor arguments.
    function VAULT_CODE_HASH() external view returns (bytes32);

    /// @notice Length of GuardedVault's creation code, without constructor arguments.
    function VAULT_CODE_LENGTH() external view returns (uint256);

    /// @notice Deploy a GuardedVault with CREATE2.
    /// @param salt The CREATE2 salt (deployment scripts derive it from the config).
    /// @param initCode GuardedVault's creation code followed by the ABI-encoded InitConfig.
    /// @return vault The new vault, at `predict(salt, keccak256(initCode))`.
    function deploy(bytes32 salt, bytes calldata initCode) external returns (address vault);

    /// @notice The address `deploy(salt, initCode)` deploys to, for `initCodeHash = keccak256(initCode)`.
    function predict(bytes32 salt, bytes32 initCodeHash) external view returns (address);
}
