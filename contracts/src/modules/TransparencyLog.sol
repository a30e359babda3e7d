// SPDX-License-Identifier: Apache-2.0
// The on-chain anchor of the cce4long transparency log (on-chain): the owner commits the signed head
// (size and Merkle root) of the append-only log of software allowed to handle keys.
pragma solidity 0.8.37;

import {HubOwnable} from "../access/HubOwnable.sol";

/// @title TransparencyLog
/// @notice Stores the latest head of the off-chain transparency log. The chain only enforces that the
///         log never shrinks and that one size never gets two roots; consistency proofs between heads are
///         checked off-chain against the heads recorded in `TransparencyLogHeadCommitted` events.
abstract contract TransparencyLog is HubOwnable {
    uint64 private _treeSize;
    bytes32 private _rootHash;

    /// @notice A new log head was committed.
    /// @param treeSize Number of leaves in the log.
    /// @param rootHash Merkle root (RFC 6962 / RFC 9162 tree hash) of those leaves.
    event TransparencyLogHeadCommitted(uint64 indexed treeSize, bytes32 rootHash);

    /// @notice The proposed head has fewer leaves than the current one.
    error TransparencyLogShrunk(uint64 currentSize, uint64 proposedSize);

    /// @notice The proposed head has the current size but a different root.
    error TransparencyLogForked(uint64 treeSize, bytes32 currentRoot, bytes32 proposedRoot);

    /// @notice Commits a new head of the transparency log. Owner only.
    /// @param treeSize Number of leaves; never less than the current size.
    /// @param rootHash Merkle root of the log at `treeSize`.
    function commitTransparencyLogHead(uint64 treeSize, bytes32 rootHash) external onlyOwner {
        if (treeSize < _treeSize) revert TransparencyLogShrunk(_treeSize, treeSize);
        if (treeSize == _treeSize && _treeSize != 0 && rootHash != _rootHash) {
            revert TransparencyLogForked(treeSize, _rootHash, rootHash);
        }
        _treeSize = treeSize;
        _rootHash = rootHash;
        emit TransparencyLogHeadCommitted(treeSize, rootHash);
    }

    /// @notice The latest committed head (zero size and root before the first commit).
    function transparencyLogHead() external view returns (uint64 treeSize, bytes32 rootHash) {
        return (_treeSize, _rootHash);
    }
}
