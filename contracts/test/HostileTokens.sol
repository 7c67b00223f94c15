// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Takes a fee (in basis points) out of every transfer amount; the recipient gets less.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable FEE_BPS;

    constructor(uint256 feeBps) ERC20("Fee Token", "FEE") {
        FEE_BPS = feeBps;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = (value * FEE_BPS) / 10_000;
        super._update(from, address(0xdead), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice Balances are shares times a global index that the owner can move up or down (a rebase).
contract RebasingToken {
    string public constant name = "Rebasing (mock)";
    string public constant symbol = "REB";
    uint8 public constant decimals = 18;
    uint256 public index = 1e18;
    mapping(address => uint256) public shares;

    event Transfer(address indexed from, address indexed to, uint256 value);

    function mint(address to, uint256 amount) external {
        shares[to] += (amount * 1e18) / index;
        emit Transfer(address(0), to, amount);
    }

    function rebase(uint256 newIndex) external {
        index = newIndex;
    }

    function balanceOf(address account) public view returns (uint256) {
        return (shares[account] * index) / 1e18;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 s = (value * 1e18) / index;
        require(shares[msg.sender] >= s, "balance");
        shares[msg.sender] -= s;
        shares[to] += s;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}

/// @notice Reverts on zero-amount transfers, as some tokens do.
contract RevertOnZeroToken is ERC20 {
    constructor() ERC20("Zero Reverter", "ZRO") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        require(value != 0, "zero transfer");
        super._update(from, to, value);
    }
}

/// @notice Returns false instead of reverting when a transfer fails.
contract FalseReturningToken is ERC20 {
    bool public fail;

    constructor() ERC20("False Returner", "FLS") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFail(bool on) external {
        fail = on;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (fail) return false;
        return super.transfer(to, value);
    }
}

/// @notice Calls back into a target with preset calldata on every transfer out of `hookFrom`
/// (an ERC-777/ERC-1363-style hook), and records whether the call succeeded.
contract ReentrantToken is ERC20 {
    address public hookTarget;
    bytes public payload;
    bool public lastCallOk;
    bytes public lastReturn;
    bool private _entered;

    constructor() ERC20("Hook Token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        hookTarget = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hookTarget != address(0) && from == hookTarget && !_entered) {
            _entered = true;
            (lastCallOk, lastReturn) = hookTarget.call(payload);
            _entered = false;
        }
    }
}

/// @notice USDC-style token whose owner can block addresses; transfers to or from a blocked address revert.
contract BlocklistToken is ERC20 {
    mapping(address => bool) public blocked;

    constructor() ERC20("Blocklist Coin", "BLK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool on) external {
        blocked[account] = on;
    }

    function _update(address from, address to, uint256 value) internal override {
        require(!blocked[from] && !blocked[to], "blocked");
        super._update(from, to, value);
    }
}
