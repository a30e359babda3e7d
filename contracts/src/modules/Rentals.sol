// SPDX-License-Identifier: Apache-2.0
// Rentals of the cce4long hub (on-chain): a consumer pays for N periods of access to a dataset;
// `isRentalActive` is the check every other part (API, Privacy Plane, key release) relies on.
pragma solidity 0.8.37;

import {DatasetRegistry} from "./DatasetRegistry.sol";
import {Payments} from "./Payments.sol";

/// @title Rentals
/// @notice A rental is an expiry time per (dataset, consumer). It is active while
///         `block.timestamp < expiresAt` and expires by time alone (no transaction, so no event).
/// @dev Retired datasets accept no new rentals and no extensions; running rentals stay active until
///      they expire, because the consumer paid for that time. There are no refunds.
abstract contract Rentals is DatasetRegistry, Payments {
    /// @notice The most periods one payment can buy.
    uint32 public constant MAX_PERIODS = 10_000;

    mapping(bytes32 datasetId => mapping(address consumer => uint64 expiresAt)) private _expiry;

    /// @notice A consumer started a rental (it had none, or its last one had expired).
    event RentalStarted(
        bytes32 indexed datasetId, address indexed consumer, uint32 periods, uint64 expiresAt, uint256 paid
    );

    /// @notice A consumer extended an active rental.
    event RentalExtended(
        bytes32 indexed datasetId, address indexed consumer, uint32 periods, uint64 expiresAt, uint256 paid
    );

    /// @notice `periods` is zero or above `MAX_PERIODS`.
    error RentalsInvalidPeriods(uint32 periods);

    /// @notice The consumer already has an active rental; extend it instead.
    error RentalsAlreadyActive(bytes32 datasetId, address consumer, uint64 expiresAt);

    /// @notice The consumer has no active rental.
    error RentalsNotActive(bytes32 datasetId, address consumer);

    /// @notice Starts a rental of `periods` periods from now, paying exactly `rentalPrice`.
    /// @return expiresAt When the rental ends (unix seconds).
    function rent(bytes32 datasetId, uint32 periods) external payable returns (uint64 expiresAt) {
        uint64 current = _expiry[datasetId][msg.sender];
        if (block.timestamp < current) revert RentalsAlreadyActive(datasetId, msg.sender, current);
        uint256 paid;
        (expiresAt, paid) = _buy(datasetId, periods, block.timestamp);
        emit RentalStarted(datasetId, msg.sender, periods, expiresAt, paid);
    }

    /// @notice Adds `periods` periods to an active rental, paying exactly `rentalPrice`.
    /// @return expiresAt The new end of the rental.
    function extendRental(bytes32 datasetId, uint32 periods) external payable returns (uint64 expiresAt) {
        uint64 current = _expiry[datasetId][msg.sender];
        if (block.timestamp >= current) revert RentalsNotActive(datasetId, msg.sender);
        uint256 paid;
        (expiresAt, paid) = _buy(datasetId, periods, current);
        emit RentalExtended(datasetId, msg.sender, periods, expiresAt, paid);
    }

    /// @notice Whether `consumer` may use `datasetId` now.
    function isRentalActive(bytes32 datasetId, address consumer) public view returns (bool) {
        return block.timestamp < _expiry[datasetId][consumer];
    }

    /// @notice When the consumer's rental ends (or ended); zero if it never rented.
    function rentalExpiresAt(bytes32 datasetId, address consumer) external view returns (uint64) {
        return _expiry[datasetId][consumer];
    }

    /// @notice The exact payment `rent` or `extendRental` requires for `periods` periods now.
    function rentalPrice(bytes32 datasetId, uint32 periods) external view returns (uint256) {
        return uint256(_requireDataset(datasetId).pricePerPeriod) * periods;
    }

    /// @dev Checks the dataset and the payment, credits the provider and moves the expiry.
    function _buy(bytes32 datasetId, uint32 periods, uint256 from) private returns (uint64 expiresAt, uint256 paid) {
        if (periods == 0 || periods > MAX_PERIODS) revert RentalsInvalidPeriods(periods);
        DatasetRecord storage dataset = _requireDataset(datasetId);
        if (dataset.retired) revert DatasetsRetired(datasetId);
        paid = uint256(dataset.pricePerPeriod) * periods;
        _collectPayment(paid);
        // Cannot overflow 256 bits (periodSeconds < 2^64, periods <= 10^4); bounded to uint64 below.
        uint256 end = from + uint256(dataset.periodSeconds) * periods;
        if (end > type(uint64).max) revert RentalsInvalidPeriods(periods);
        expiresAt = uint64(end);
        _expiry[datasetId][msg.sender] = expiresAt;
        if (paid != 0) _creditEarnings(dataset.provider, paid);
    }
}
