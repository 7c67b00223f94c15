// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGuardedVault} from "../interfaces/IGuardedVault.sol";

/// @title VaultStorage
/// @notice Where GuardedVault keeps the state its lens decodes, and reads of it through `extsload`.
/// @dev The slot numbers are GuardedVault's storage layout (AccessControl's `_roles` takes slot 0);
/// test/lens.test.ts checks them against the layout the compiler reports, so a reordering of the
/// vault's variables fails a test instead of making the lens read the wrong words.
library VaultStorage {
    /// @dev mapping(address operator => mapping(address token => Word))
    uint256 internal constant OPERATOR_WORDS_SLOT = 1;
    /// @dev mapping(address token => Word)
    uint256 internal constant TOKEN_WORDS_SLOT = 2;
    /// @dev mapping(address operator => mapping(address token => QueueAccount{uint128 queueCap; uint128 pending}))
    uint256 internal constant QUEUE_SLOT = 5;
    /// @dev mapping(address operator => mapping(address token => Word)): the co-signed limiter
    uint256 internal constant COSIGNED_WORDS_SLOT = 18;
    /// @dev mapping(address operator => mapping(address destination => bool))
    uint256 internal constant COSIGNED_ONLY_SLOT = 19;
    /// @dev mapping(bytes32 digest => bool)
    uint256 internal constant APPROVALS_USED_SLOT = 20;

    /// @notice Slot of `mapping(address => T)` at `slot` for `key`.
    function mappingSlot(uint256 slot, address key) internal pure returns (bytes32) {
        return keccak256(abi.encode(key, slot));
    }

    /// @notice Slot of `mapping(address => mapping(address => T))` at `slot` for `key1`, then `key2`.
    function nestedSlot(uint256 slot, address key1, address key2) internal pure returns (bytes32) {
        return keccak256(abi.encode(key2, mappingSlot(slot, key1)));
    }

    /// @notice The operator's word for `token`, the token's word, and the operator's queue account.
    function readOperator(IGuardedVault vault, address operator, address token)
        internal
        view
        returns (uint256 opWord, uint256 tokenWord, uint256 queueCap, uint256 pending)
    {
        bytes32[] memory slots = new bytes32[](3);
        slots[0] = nestedSlot(OPERATOR_WORDS_SLOT, operator, token);
        slots[1] = mappingSlot(TOKEN_WORDS_SLOT, token);
        slots[2] = nestedSlot(QUEUE_SLOT, operator, token);
        bytes32[] memory values = vault.extsload(slots);
        opWord = uint256(values[0]);
        tokenWord = uint256(values[1]);
        queueCap = uint128(uint256(values[2]));
        pending = uint256(values[2]) >> 128;
    }

    /// @notice The token's word.
    function readToken(IGuardedVault vault, address token) internal view returns (uint256 tokenWord) {
        bytes32[] memory slots = new bytes32[](1);
        slots[0] = mappingSlot(TOKEN_WORDS_SLOT, token);
        tokenWord = uint256(vault.extsload(slots)[0]);
    }

    /// @notice The operator's co-signed limiter word for `token`.
    function readCosigned(IGuardedVault vault, address operator, address token) internal view returns (uint256) {
        return readSlot(vault, nestedSlot(COSIGNED_WORDS_SLOT, operator, token));
    }

    /// @notice One storage word of the vault.
    function readSlot(IGuardedVault vault, bytes32 slot) internal view returns (uint256) {
        bytes32[] memory slots = new bytes32[](1);
        slots[0] = slot;
        return uint256(vault.extsload(slots)[0]);
    }
}
