// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGuardedVault} from "./IGuardedVault.sol";

/// @title IVaultFactory
/// @notice Deterministic (CREATE2) deployment of GuardedVaults with their whole initial policy, in one
/// transaction or in stages, whatever its size.
/// @dev A config is a header (the vault's constructor arguments: everything of fixed size) and a list of
/// steps (tokens, limits, destinations, opt-outs, then the guardians and, last, the admin). The steps are
/// committed to by a hash chain: `link[i] = keccak256(abi.encode(kind[i], keccak256(params[i]), link[i + 1]))`,
/// with `link[n] = 0` after the last step and `stepsRoot = link[0]`. The config hash is
/// `keccak256(abi.encode(keccak256(constructorArgs), stepsRoot))`, and the vault's address
/// `predict(salt, configHash, keccak256(initCode))` commits to it through the CREATE2 salt
/// `keccak256(abi.encode(salt, configHash))`. The steps are applied in order, in as many transactions as
/// their gas needs: each batch is checked against the chain before anything of it is applied, so nobody can
/// insert, drop, alter or reorder a step, and anyone may send the next batch (it can only be the committed
/// one). Until the last step names the admin the vault is paused and has no admin and no guardians.
interface IVaultFactory {
    /// @notice A vault was deployed.
    /// @param vault Its address.
    /// @param salt The salt given to `deploy` (the CREATE2 salt also commits to `configHash`).
    /// @param configHash keccak256 of (keccak256 of the ABI-encoded constructor arguments, the steps' root).
    /// @param deployer Who called `deploy`.
    event VaultDeployed(address indexed vault, bytes32 indexed salt, bytes32 configHash, address indexed deployer);

    /// @notice Steps of a vault's initial policy were applied.
    /// @param vault The vault.
    /// @param applied Number of steps applied in this batch.
    /// @param next The chain link the next batch must hash to; zero once the policy is complete.
    event VaultConfigured(address indexed vault, uint256 applied, bytes32 next);

    /// @notice The init code is not GuardedVault's creation code followed by constructor arguments.
    error NotAVault();

    /// @notice CREATE2 failed: a contract already sits at `predicted`, or the vault's constructor
    /// rejected the config.
    error DeploymentFailed(address predicted);

    /// @notice The batch of steps, followed by `next`, does not hash to the link the vault awaits.
    /// @param vault The vault.
    /// @param expected The link the next batch must hash to.
    /// @param actual What the batch given hashes to.
    error ConfigMismatch(address vault, bytes32 expected, bytes32 actual);

    /// @notice The vault awaits no steps from this factory: it is complete, or not one of its vaults.
    error NotConfiguring(address vault);

    /// @notice Step `index` of the batch has a kind the initial policy cannot take there: guardians come
    /// only in the batch that completes the policy, the admin (TransferAdmin) only as its last step, and
    /// Unpause, UnsuspendOperator and RemoveGuardian never.
    error StepOutOfPlace(uint256 index, IGuardedVault.ChangeKind kind);

    /// @notice The batch that completes the policy adds fewer than `min` guardians.
    error TooFewGuardians(uint256 min);

    /// @notice keccak256 of GuardedVault's creation code, without constructor arguments.
    function VAULT_CODE_HASH() external view returns (bytes32);

    /// @notice Length of GuardedVault's creation code, without constructor arguments.
    function VAULT_CODE_LENGTH() external view returns (uint256);

    /// @notice The chain link the next batch of steps for `vault` must hash to (zero: none awaited).
    function pendingConfig(address vault) external view returns (bytes32);

    /// @notice Deploy a GuardedVault with CREATE2 and apply the first batch of its steps.
    /// @dev With `stepsRoot` zero (and no steps) the whole config is in the init code, as a vault deployed
    /// directly takes it (EIP-3860 limits that to small configs). Otherwise the constructor arguments name
    /// no admin and no guardians, and the policy is complete once the step naming the admin is applied.
    /// @param salt The salt (deployment scripts derive it from the config's name).
    /// @param initCode GuardedVault's creation code followed by the ABI-encoded InitConfig (the header).
    /// @param stepsRoot The first link of the steps' hash chain.
    /// @param steps The first batch of steps (may be all of them, or none).
    /// @param next The link after the batch (zero if it ends with the last step).
    /// @return vault The new vault, at `predict(salt, configHash, keccak256(initCode))`.
    function deploy(
        bytes32 salt,
        bytes calldata initCode,
        bytes32 stepsRoot,
        IGuardedVault.ConfigItem[] calldata steps,
        bytes32 next
    ) external returns (address vault);

    /// @notice Apply the next batch of a vault's steps. Anyone may send it: only the committed steps, in
    /// their order, pass the check.
    /// @param vault The vault.
    /// @param steps The batch, which must hash to `pendingConfig(vault)` when followed by `next`.
    /// @param next The link after the batch (zero if it ends with the last step).
    function configure(address vault, IGuardedVault.ConfigItem[] calldata steps, bytes32 next) external;

    /// @notice The address `deploy` deploys to for `salt`, `configHash` and `initCodeHash = keccak256(initCode)`.
    function predict(bytes32 salt, bytes32 configHash, bytes32 initCodeHash) external view returns (address);
}
