// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GuardedVault} from "./GuardedVault.sol";
import {IGuardedVault} from "./interfaces/IGuardedVault.sol";
import {IVaultFactory} from "./interfaces/IVaultFactory.sol";
import {MIN_GUARDIANS} from "./libraries/Constants.sol";

/// @title VaultFactory
/// @notice Deploys GuardedVaults with CREATE2 at an address that commits to their whole initial policy, and
/// applies policies too large for one transaction in stages that nobody can alter (see IVaultFactory).
/// @dev The vault's creation code is too large to embed in this contract's runtime code (EIP-170), so the
/// caller passes the init code and the factory checks that it starts with GuardedVault's creation code,
/// whose hash and length it records at construction. It can therefore deploy nothing but a GuardedVault.
/// The init code carries only the fixed-size header, so it stays far below EIP-3860's limit whatever
/// the number of tokens, operators and destinations; the steps reach the vault as calls from this factory
/// (the only account a staged vault takes them from), each checked against the committed hash chain first.
contract VaultFactory is IVaultFactory {
    /// @dev Kinds a step may have anywhere in the chain: SetOperatorLimits, ApproveDestination, ListToken,
    /// SetVaultCap, SetRecovery, SetDelays, SetTripwire, SetTripwireOptOut, and the co-signing kinds AddApprover,
    /// ApproveCosignedDestination, SetCosignedCap (an approver can do nothing but sign). AddGuardian only in the batch
    /// that completes the policy, TransferAdmin only as its last step; Unpause, UnsuspendOperator and
    /// RemoveGuardian never (the first would lift the setup's pause early).
    uint256 private constant ANYWHERE =
        (1 << uint8(IGuardedVault.ChangeKind.SetOperatorLimits)) | (1 << uint8(IGuardedVault.ChangeKind.ApproveDestination))
            | (1 << uint8(IGuardedVault.ChangeKind.ListToken)) | (1 << uint8(IGuardedVault.ChangeKind.SetVaultCap))
            | (1 << uint8(IGuardedVault.ChangeKind.SetRecovery)) | (1 << uint8(IGuardedVault.ChangeKind.SetDelays))
            | (1 << uint8(IGuardedVault.ChangeKind.SetTripwire)) | (1 << uint8(IGuardedVault.ChangeKind.SetTripwireOptOut))
            | (1 << uint8(IGuardedVault.ChangeKind.AddApprover)) | (1 << uint8(IGuardedVault.ChangeKind.ApproveCosignedDestination))
            | (1 << uint8(IGuardedVault.ChangeKind.SetCosignedCap));

    /// @inheritdoc IVaultFactory
    bytes32 public immutable VAULT_CODE_HASH;
    /// @inheritdoc IVaultFactory
    uint256 public immutable VAULT_CODE_LENGTH;

    /// @inheritdoc IVaultFactory
    mapping(address vault => bytes32 link) public pendingConfig;

    /// @notice Records GuardedVault's creation code (only in this constructor, not in the runtime code).
    constructor() {
        bytes memory code = type(GuardedVault).creationCode;
        VAULT_CODE_HASH = keccak256(code);
        VAULT_CODE_LENGTH = code.length;
    }

    /// @inheritdoc IVaultFactory
    function deploy(
        bytes32 salt,
        bytes calldata initCode,
        bytes32 stepsRoot,
        IGuardedVault.ConfigItem[] calldata steps,
        bytes32 next
    ) external returns (address vault) {
        uint256 codeLength = VAULT_CODE_LENGTH;
        if (initCode.length <= codeLength || keccak256(initCode[:codeLength]) != VAULT_CODE_HASH) revert NotAVault();
        bytes32 configHash = keccak256(abi.encode(keccak256(initCode[codeLength:]), stepsRoot));
        bytes32 create2Salt = keccak256(abi.encode(salt, configHash));
        bytes memory code = initCode;
        assembly ("memory-safe") {
            vault := create2(0, add(code, 32), mload(code), create2Salt)
        }
        // CREATE2 yields zero if the address is taken or the constructor reverted (a bad config).
        if (vault == address(0)) revert DeploymentFailed(predict(salt, configHash, keccak256(initCode)));
        emit VaultDeployed(vault, salt, configHash, msg.sender);
        // A root of zero: the whole config was in the init code (then no step and no link may be given).
        if (stepsRoot != 0 || steps.length != 0 || next != 0) _apply(vault, stepsRoot, steps, next);
    }

    /// @inheritdoc IVaultFactory
    function configure(address vault, IGuardedVault.ConfigItem[] calldata steps, bytes32 next) external {
        bytes32 expected = pendingConfig[vault];
        if (expected == 0) revert NotConfiguring(vault);
        _apply(vault, expected, steps, next);
    }

    /// @inheritdoc IVaultFactory
    function predict(bytes32 salt, bytes32 configHash, bytes32 initCodeHash) public view returns (address) {
        bytes32 create2Salt = keccak256(abi.encode(salt, configHash));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), create2Salt, initCodeHash));
        return address(uint160(uint256(h)));
    }

    /// @dev Checks the whole batch against the chain (and the place of every step), then applies it.
    function _apply(address vault, bytes32 expected, IGuardedVault.ConfigItem[] calldata steps, bytes32 next) private {
        bytes32 link = next;
        uint256 guardians;
        for (uint256 i = steps.length; i != 0;) {
            unchecked {
                --i;
            }
            IGuardedVault.ChangeKind kind = steps[i].kind;
            bool last = next == 0 && i == steps.length - 1;
            bool allowed = kind == IGuardedVault.ChangeKind.TransferAdmin
                ? last
                : (ANYWHERE >> uint8(kind)) & 1 == 1 || (kind == IGuardedVault.ChangeKind.AddGuardian && next == 0);
            // The batch that ends the chain must end with the admin, or the vault would never complete.
            if (!allowed || (last && kind != IGuardedVault.ChangeKind.TransferAdmin)) revert StepOutOfPlace(i, kind);
            if (kind == IGuardedVault.ChangeKind.AddGuardian) ++guardians;
            link = keccak256(abi.encode(kind, keccak256(steps[i].params), link));
        }
        if (link != expected) revert ConfigMismatch(vault, expected, link);
        // The vault checks nothing when its admin is named: every guardian is in this batch (the vault refuses
        // a guardian twice), so counting them here is counting the vault's.
        if (next == 0 && guardians < MIN_GUARDIANS) revert TooFewGuardians(MIN_GUARDIANS);
        pendingConfig[vault] = next;
        for (uint256 i; i < steps.length; ++i) {
            IGuardedVault(vault).configure(steps[i].kind, steps[i].params);
        }
        emit VaultConfigured(vault, steps.length, next);
    }
}
