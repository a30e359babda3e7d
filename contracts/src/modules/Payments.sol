// SPDX-License-Identifier: Apache-2.0
// Provider earnings of the cce4long hub (on-chain): rentals credit a ledger, providers pull their
// balance. Payment movement is isolated here so that an ERC-20 variant only replaces these functions.
pragma solidity 0.8.37;

import {ReentrancyGuard} from "../access/ReentrancyGuard.sol";

/// @title Payments
/// @notice Pull payments in the native currency. Nothing is ever pushed to a provider during a
///         rental, so a provider contract that reverts or re-enters cannot block consumers.
/// @dev An ERC-20 version would replace `_collectPayment` (transferFrom the payer, no msg.value) and
///      `_sendPayment` (SafeERC20 transfer); the ledger and the events stay the same.
abstract contract Payments is ReentrancyGuard {
    mapping(address provider => uint256 amount) private _earnings;

    /// @notice A provider withdrew its whole balance.
    /// @param provider The provider (also the recipient).
    /// @param amount Amount sent, in wei.
    event EarningsWithdrawn(address indexed provider, uint256 amount);

    /// @notice The caller has no earnings to withdraw.
    error PaymentsNothingToWithdraw(address account);

    /// @notice Sending the earnings failed (the recipient reverted).
    error PaymentsTransferFailed(address recipient, uint256 amount);

    /// @notice The payment was less than the price.
    error PaymentsInsufficientValue(uint256 required, uint256 paid);

    /// @notice The payment was more than the price (no change is given: pay the exact price).
    error PaymentsExcessValue(uint256 required, uint256 paid);

    /// @notice Sends the caller its whole balance. Checks-effects-interactions plus a reentrancy guard:
    ///         the balance is zeroed before the transfer and the function cannot be re-entered.
    /// @return amount The amount sent.
    function withdrawEarnings() external nonReentrant returns (uint256 amount) {
        amount = _earnings[msg.sender];
        if (amount == 0) revert PaymentsNothingToWithdraw(msg.sender);
        _earnings[msg.sender] = 0;
        emit EarningsWithdrawn(msg.sender, amount);
        _sendPayment(msg.sender, amount);
    }

    /// @notice The balance `provider` can withdraw, in wei.
    function earningsOf(address provider) external view returns (uint256) {
        return _earnings[provider];
    }

    /// @dev Credits earnings; the payment itself was collected by `_collectPayment`.
    function _creditEarnings(address provider, uint256 amount) internal {
        _earnings[provider] += amount;
    }

    /// @dev Native currency: the payment arrived as msg.value and must match exactly, which also
    ///      protects the payer from a price change between signing and mining.
    function _collectPayment(uint256 required) internal view {
        if (msg.value < required) revert PaymentsInsufficientValue(required, msg.value);
        if (msg.value > required) revert PaymentsExcessValue(required, msg.value);
    }

    function _sendPayment(address recipient, uint256 amount) private {
        (bool ok,) = payable(recipient).call{value: amount}("");
        if (!ok) revert PaymentsTransferFailed(recipient, amount);
    }
}
