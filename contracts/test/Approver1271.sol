// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice An EIP-1271 approver for tests whose answer is set: accept, refuse (a wrong magic value),
/// revert, or return nothing.
contract Approver1271 is IERC1271 {
    enum Mode {
        Accept,
        Refuse,
        Revert,
        Empty
    }

    Mode public mode;
    bytes32 public expectedHash;

    function set(Mode newMode, bytes32 hash) external {
        mode = newMode;
        expectedHash = hash;
    }

    function isValidSignature(bytes32 hash, bytes calldata) external view returns (bytes4) {
        Mode m = mode;
        if (m == Mode.Revert) revert("no");
        if (m == Mode.Empty) {
            assembly {
                return(0, 0)
            }
        }
        if (m == Mode.Accept && hash == expectedHash) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
