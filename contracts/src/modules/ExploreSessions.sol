// SPDX-License-Identifier: Apache-2.0
// Explore Mode sessions of the cce4long hub (on-chain): the Privacy Plane records each Jupyter
// session over a dataset's desensitized sample when it opens and when it closes.
pragma solidity 0.8.37;

import {Rentals} from "./Rentals.sol";

/// @title ExploreSessions
/// @notice A session may open when the dataset offers Explore Mode and the consumer has an active
///         rental, or the provider offers a free preview (not after retirement). Session ids are
///         chosen by the Privacy Plane and are unique per dataset.
/// @dev Sessions are keyed by (dataset id, session id) so that a session is one packed storage word:
///      opening one costs a single fresh slot, within the 40,000-gas budget of a record.
abstract contract ExploreSessions is Rentals {
    /// @notice Where a session is.
    enum ExploreSessionStatus {
        None,
        Open,
        Closed
    }

    /// @notice A session as stored (one storage word).
    struct ExploreSessionRecord {
        address consumer;
        ExploreSessionStatus status;
        bool freePreview;
        uint40 openedAt;
    }

    mapping(bytes32 datasetId => mapping(bytes32 sessionId => ExploreSessionRecord)) private _sessions;

    /// @notice An Explore session opened.
    /// @param freePreview True when the consumer had no rental and used the free preview.
    event ExploreSessionOpened(
        bytes32 indexed datasetId, bytes32 indexed sessionId, address indexed consumer, bool freePreview
    );

    /// @notice An Explore session closed.
    /// @param reasonCode Why it closed (0 closed by the consumer; the list lives in @cce4long/protocol).
    event ExploreSessionClosed(
        bytes32 indexed datasetId, bytes32 indexed sessionId, address indexed consumer, uint16 reasonCode
    );

    /// @notice The dataset does not offer Explore Mode.
    error ExploreNotOffered(bytes32 datasetId);

    /// @notice The consumer has no active rental and no free preview is available.
    error ExploreNoAccess(bytes32 datasetId, address consumer);

    /// @notice A session with this id was already recorded for the dataset (or the id is zero).
    error ExploreSessionAlreadyExists(bytes32 datasetId, bytes32 sessionId);

    /// @notice The dataset has no open session with this id.
    error ExploreSessionNotOpen(bytes32 datasetId, bytes32 sessionId);

    /// @notice Records that a session opened. Signers only.
    /// @param datasetId The dataset explored.
    /// @param sessionId Id chosen by the Privacy Plane, unique for the dataset; non-zero.
    /// @param consumer The consumer the session belongs to.
    function recordExploreSessionOpened(bytes32 datasetId, bytes32 sessionId, address consumer)
        external
        onlyPrivacyPlaneSigner
    {
        ExploreSessionRecord storage session = _sessions[datasetId][sessionId];
        if (sessionId == bytes32(0) || session.status != ExploreSessionStatus.None) {
            revert ExploreSessionAlreadyExists(datasetId, sessionId);
        }
        DatasetRecord storage dataset = _requireDataset(datasetId);
        if (!dataset.exploreOffered) revert ExploreNotOffered(datasetId);
        bool freePreview = false;
        if (!isRentalActive(datasetId, consumer)) {
            if (!dataset.freePreview || dataset.retired) revert ExploreNoAccess(datasetId, consumer);
            freePreview = true;
        }
        session.consumer = consumer;
        session.status = ExploreSessionStatus.Open;
        session.freePreview = freePreview;
        session.openedAt = uint40(block.timestamp);
        emit ExploreSessionOpened(datasetId, sessionId, consumer, freePreview);
    }

    /// @notice Records that a session closed. Signers only.
    function recordExploreSessionClosed(bytes32 datasetId, bytes32 sessionId, uint16 reasonCode)
        external
        onlyPrivacyPlaneSigner
    {
        ExploreSessionRecord storage session = _sessions[datasetId][sessionId];
        if (session.status != ExploreSessionStatus.Open) revert ExploreSessionNotOpen(datasetId, sessionId);
        session.status = ExploreSessionStatus.Closed;
        emit ExploreSessionClosed(datasetId, sessionId, session.consumer, reasonCode);
    }

    /// @notice The stored session (status `None` when unknown).
    function getExploreSession(bytes32 datasetId, bytes32 sessionId)
        public
        view
        returns (ExploreSessionRecord memory)
    {
        return _sessions[datasetId][sessionId];
    }
}
