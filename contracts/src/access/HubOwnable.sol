// SPDX-License-Identifier: Apache-2.0
// Two-step ownership of the cce4long hub (on-chain). The owner is meant to become a multisig or a
// timelock: nothing here assumes it is a person, and a transfer only completes when the new owner accepts.
pragma solidity 0.8.37;

/// @title HubOwnable
/// @notice Ownable2Step-style ownership: `transferOwnership` proposes, `acceptOwnership` completes.
/// @dev There is deliberately no `renounceOwnership`: the owner governs the trust policy and the
///      hub would be frozen without one.
abstract contract HubOwnable {
    address private _owner;
    address private _pendingOwner;

    /// @notice A transfer of ownership was proposed; it completes when `newOwner` accepts.
    /// @param previousOwner The current owner.
    /// @param newOwner The proposed owner (zero cancels a pending proposal).
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);

    /// @notice Ownership moved to `newOwner`.
    /// @param previousOwner The former owner (zero at deployment).
    /// @param newOwner The new owner.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The caller is not allowed to perform an owner-only (or pending-owner-only) action.
    /// @param account The caller.
    error OwnableUnauthorizedAccount(address account);

    /// @notice The zero address cannot own the hub.
    /// @param owner The rejected owner.
    error OwnableInvalidOwner(address owner);

    /// @param initialOwner The first owner (not necessarily the deployer).
    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(initialOwner);
    }

    /// @dev Reverts with `OwnableUnauthorizedAccount` unless the caller is the owner.
    modifier onlyOwner() {
        if (msg.sender != _owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    /// @notice The current owner.
    function owner() public view returns (address) {
        return _owner;
    }

    /// @notice The proposed owner awaiting acceptance (zero when none).
    function pendingOwner() external view returns (address) {
        return _pendingOwner;
    }

    /// @notice Proposes `newOwner`; ownership moves only when it calls `acceptOwnership`.
    /// @param newOwner The proposed owner; zero cancels a pending proposal.
    function transferOwnership(address newOwner) external onlyOwner {
        _pendingOwner = newOwner;
        emit OwnershipTransferStarted(_owner, newOwner);
    }

    /// @notice Completes a proposed transfer; only the pending owner may call it.
    function acceptOwnership() external {
        if (msg.sender != _pendingOwner) revert OwnableUnauthorizedAccount(msg.sender);
        _transferOwnership(msg.sender);
    }

    /// @dev Moves ownership immediately and clears any pending proposal.
    function _transferOwnership(address newOwner) private {
        delete _pendingOwner;
        address previousOwner = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(previousOwner, newOwner);
    }
}
