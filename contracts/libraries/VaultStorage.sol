// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IGuardedVault} from "../interfaces/IGuardedVault.sol";
import {PolicyWords} from "./PolicyWords.sol";

/// @title VaultStorage
/// @notice Where GuardedVault keeps the state its lens decodes, and reads of it through `extsload`.
/// @dev The slot numbers and byte offsets are GuardedVault's storage layout (AccessControl's `_roles`
/// takes slot 0); test/lens.test.ts checks them against the layout the compiler reports, so a reordering
/// of the vault's variables fails a test instead of making the lens read the wrong words.
library VaultStorage {
    /// @dev mapping(address operator => mapping(address token => Word))
    uint256 internal constant OPERATOR_WORDS_SLOT = 1;
    /// @dev mapping(address token => Word)
    uint256 internal constant TOKEN_WORDS_SLOT = 2;
    /// @dev mapping(address operator => mapping(address destination => uint256 generationPlusOne))
    uint256 internal constant APPROVED_SLOT = 3;
    /// @dev mapping(address operator => OperatorInfo{bool registered; bool suspended; bool tripwireOptOut; ...})
    uint256 internal constant OPERATOR_INFO_SLOT = 4;
    /// @dev mapping(address operator => mapping(address token => QueueAccount{uint40 queueCapUnits; uint216 pending}))
    uint256 internal constant QUEUE_SLOT = 5;
    /// @dev mapping(uint256 id => Withdrawal{address operator; uint64 eta; Status status; address token;
    /// uint32 generation; address to; uint256 amount})
    uint256 internal constant WITHDRAWALS_SLOT = 6;
    /// @dev mapping(uint256 id => Change)
    uint256 internal constant CHANGES_SLOT = 7;
    /// @dev address[] _tokens
    uint256 internal constant TOKENS_SLOT = 8;
    /// @dev address[] _operators
    uint256 internal constant OPERATORS_SLOT = 9;
    /// @dev uint8 _tripMax, at byte TRIP_MAX_OFFSET of its slot.
    uint256 internal constant TRIP_MAX_SLOT = 13;
    uint256 internal constant TRIP_MAX_OFFSET = 28;
    /// @dev uint32 _tripPeriod, at byte TRIP_PERIOD_OFFSET of its slot.
    uint256 internal constant TRIP_PERIOD_SLOT = 14;
    uint256 internal constant TRIP_PERIOD_OFFSET = 0;

    /// @dev Byte offsets of OperatorInfo's fields.
    uint256 internal constant INFO_SUSPENDED_OFFSET = 1;
    uint256 internal constant INFO_OPT_OUT_OFFSET = 2;
    /// @dev uint32 generation: how many times the operator was removed.
    uint256 internal constant INFO_GENERATION_OFFSET = 23;
    /// @dev Byte offset of a stored withdrawal's uint32 generation, in its second slot (after the token).
    uint256 internal constant WITHDRAWAL_GENERATION_OFFSET = 20;

    /// @notice Slot of `mapping(address => T)` at `slot` for `key`.
    function mappingSlot(uint256 slot, address key) internal pure returns (bytes32) {
        return keccak256(abi.encode(key, slot));
    }

    /// @notice Slot of `mapping(uint256 => T)` at `slot` for `key`.
    function mappingSlot(uint256 slot, uint256 key) internal pure returns (bytes32) {
        return keccak256(abi.encode(key, slot));
    }

    /// @notice Slot of `mapping(address => mapping(address => T))` at `slot` for `key1`, then `key2`.
    function nestedSlot(uint256 slot, address key1, address key2) internal pure returns (bytes32) {
        return keccak256(abi.encode(key2, mappingSlot(slot, key1)));
    }

    /// @notice The operator's word for `token`, the token's word, and the operator's queue account (queue
    /// cap and pending total in base units).
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
        queueCap = uint40(uint256(values[2])) * PolicyWords.unitOf(tokenWord);
        pending = uint256(values[2]) >> 40;
    }

    /// @notice The token's word.
    function readToken(IGuardedVault vault, address token) internal view returns (uint256 tokenWord) {
        tokenWord = read(vault, mappingSlot(TOKEN_WORDS_SLOT, token));
    }

    /// @notice The operator's record (registered, suspended, tripwire opt-out, ...), as one word.
    function readOperatorInfo(IGuardedVault vault, address operator) internal view returns (uint256 info) {
        info = read(vault, mappingSlot(OPERATOR_INFO_SLOT, operator));
    }

    /// @notice The uint32 at byte `offset` of `word`.
    function uint32At(uint256 word, uint256 offset) internal pure returns (uint256) {
        return (word >> (offset * 8)) & type(uint32).max;
    }

    /// @notice The byte at `offset` of `word` as a flag.
    function flagAt(uint256 word, uint256 offset) internal pure returns (bool) {
        return (word >> (offset * 8)) & 0xff != 0;
    }

    /// @notice The elements of a storage `address[]` at `slot`.
    function readAddresses(IGuardedVault vault, uint256 slot) internal view returns (address[] memory out) {
        uint256 length = read(vault, bytes32(slot));
        bytes32[] memory slots = new bytes32[](length);
        uint256 first = uint256(keccak256(abi.encode(slot)));
        for (uint256 i; i < length; ++i) {
            slots[i] = bytes32(first + i);
        }
        bytes32[] memory values = vault.extsload(slots);
        out = new address[](length);
        for (uint256 i; i < length; ++i) {
            out[i] = address(uint160(uint256(values[i])));
        }
    }

    /// @notice A storage `bytes` whose length word is at `slot`.
    /// @dev Short values (under 32 bytes) sit in the length word itself, whose lowest bit is then clear;
    /// longer ones hold 2 * length + 1 there and their data from keccak256(slot) on.
    function readBytes(IGuardedVault vault, bytes32 slot) internal view returns (bytes memory out) {
        uint256 head = read(vault, slot);
        if (head & 1 == 0) {
            uint256 shortLength = (head & 0xff) / 2;
            out = new bytes(shortLength);
            assembly ("memory-safe") {
                mstore(add(out, 32), and(head, not(0xff)))
            }
            return out;
        }
        uint256 length = (head - 1) / 2;
        uint256 words = (length + 31) / 32;
        bytes32[] memory slots = new bytes32[](words);
        uint256 first = uint256(keccak256(abi.encode(slot)));
        for (uint256 i; i < words; ++i) {
            slots[i] = bytes32(first + i);
        }
        bytes32[] memory values = vault.extsload(slots);
        out = new bytes(length);
        for (uint256 i; i < words; ++i) {
            bytes32 value = values[i];
            assembly ("memory-safe") {
                mstore(add(add(out, 32), mul(i, 32)), value)
            }
        }
    }

    /// @notice `count` consecutive words from `slot` on.
    function readWords(IGuardedVault vault, bytes32 slot, uint256 count) internal view returns (bytes32[] memory) {
        bytes32[] memory slots = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            slots[i] = bytes32(uint256(slot) + i);
        }
        return vault.extsload(slots);
    }

    /// @notice One storage word.
    function read(IGuardedVault vault, bytes32 slot) internal view returns (uint256) {
        bytes32[] memory slots = new bytes32[](1);
        slots[0] = slot;
        return uint256(vault.extsload(slots)[0]);
    }
}
