// SPDX-License-Identifier: Apache-2.0
// Reentrancy guard of the cce4long hub (on-chain), kept in transient storage (EIP-1153, Cancun):
// the flag costs no persistent storage and resets at the end of every transaction.
pragma solidity 0.8.37;

/// @title ReentrancyGuard
/// @notice Stops a function marked `nonReentrant` from being entered again during its own execution.
abstract contract ReentrancyGuard {
    bool private transient _entered;

    /// @notice A `nonReentrant` function was called while one was already running.
    error ReentrancyGuardReentrantCall();

    /// @dev Reverts with `ReentrancyGuardReentrantCall` on re-entry.
    modifier nonReentrant() {
        if (_entered) revert ReentrancyGuardReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }
}
