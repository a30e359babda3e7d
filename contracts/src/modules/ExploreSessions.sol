// SPDX-License-Identifier: Apache-2.0
// Explore Mode sessions of the cce4long hub (on-chain): the Privacy Plane records each Jupyter
// session over a dataset's desensitized sample when it opens and when it closes.
pragma solidity 0.8.37;

import {Rentals} from "./Rentals.sol";

/// @title ExploreSessions
/// @notice A session may open when the dataset offers Explore Mode and the consumer has an active
///         rental, or the provider offers a free preview (not after retirement). Session ids are
///         chosen by the Privacy Plane and must be unique.
abstract contract ExploreSessions is Rentals {
    /// @notice Where a session is.
    enum ExploreSessionStatus {
        None,
        Open,
        Closed
    }

    /// @notice A session as stored.
    struct ExploreSessionRecord {
        address consumer;
        ExploreSessionStatus status;
        bool freePreview;
        uint40 openedAt;
        bytes32 datasetId;
    }

    mapping(bytes32 sessionId => ExploreSessionRecord) private _sessions;

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

    /// @notice A session with this id was already recorded.
    error ExploreSessionAlreadyExists(bytes32 sessionId);

    /// @notice The session is not open.
    error ExploreSessionNotOpen(bytes32 sessionId);

    /// @notice Records that a session opened. Signers only.
    /// @param sessionId Unique id chosen by the Privacy Plane; non-zero.
    /// @param datasetId The dataset explored.
    /// @param consumer The consumer the session belongs to.
    function recordExploreSessionOpened(bytes32 sessionId, bytes32 datasetId, address consumer)
        external
        onlyPrivacyPlaneSigner
    {
        ExploreSessionRecord storage session = _sessions[sessionId];
        if (sessionId == bytes32(0) || session.status != ExploreSessionStatus.None) {
            revert ExploreSessionAlreadyExists(sessionId);
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
        session.datasetId = datasetId;
        emit ExploreSessionOpened(datasetId, sessionId, consumer, freePreview);
    }

    /// @notice Records that a session closed. Signers only.
    function recordExploreSessionClosed(bytes32 sessionId, uint16 reasonCode) external onlyPrivacyPlaneSigner {
        ExploreSessionRecord storage session = _sessions[sessionId];
        if (session.status != ExploreSessionStatus.Open) revert ExploreSessionNotOpen(sessionId);
        session.status = ExploreSessionStatus.Closed;
        emit ExploreSessionClosed(session.datasetId, sessionId, session.consumer, reasonCode);
    }

    /// @notice The stored session (status `None` when unknown).
    function getExploreSession(bytes32 sessionId) external view returns (ExploreSessionRecord memory) {
        return _sessions[sessionId];
    }
}
