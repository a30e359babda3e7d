// SPDX-License-Identifier: Apache-2.0
// Explore exports held for review (on-chain): when the Output Gate sends a file a consumer takes out of an
// open Explore session to a reviewer, the Privacy Plane records it here, and from then on it is a review
// item in the job lifecycle (decision, release, failure records of Jobs.sol) under the export's id.
pragma solidity 0.8.37;

import {ExploreSessions} from "./ExploreSessions.sol";
import {Jobs} from "./Jobs.sol";

/// @title ExploreExports
/// @notice Only exports that need review are recorded: an automatically approved export leaves the
///         session at once and a rejected one never leaves. The consumer is the session's, never an
///         argument, so an export can only be opened for the consumer of an open session.
/// @dev Reusing the job record keeps one state machine, one reviewer check and one release record for
///      everything that leaves the platform; `jobStatus(exportId)` and `getJob(exportId)` read it.
abstract contract ExploreExports is Jobs, ExploreSessions {
    /// @notice A file taken out of an Explore session was held for review as `exportId`.
    /// @param outputsCommitment Commitment to the exported file (as for job outputs).
    event ExploreExportSubmitted(
        bytes32 indexed datasetId, bytes32 indexed exportId, bytes32 indexed sessionId, bytes32 outputsCommitment
    );

    /// @notice Records an export held for review and opens its review item. Signers only.
    /// @param datasetVersion The dataset version whose sample the session explores.
    /// @param resultPublicKey The consumer's X25519 key an approved export is encrypted to.
    function recordExploreExportSubmitted(
        bytes32 datasetId,
        bytes32 sessionId,
        bytes32 exportId,
        uint32 datasetVersion,
        bytes32 resultPublicKey,
        bytes32 outputsCommitment
    ) external onlyPrivacyPlaneSigner {
        if (exportId == bytes32(0) || resultPublicKey == bytes32(0) || outputsCommitment == bytes32(0)) {
            revert JobsZeroValue();
        }
        ExploreSessionRecord memory session = getExploreSession(datasetId, sessionId);
        if (session.status != ExploreSessionStatus.Open) revert ExploreSessionNotOpen(datasetId, sessionId);
        if (datasetVersion == 0 || datasetVersion > _requireDataset(datasetId).versionCount) {
            revert DatasetsUnknownVersion(datasetId, datasetVersion);
        }
        _openOutputsForReview(exportId, datasetId, session.consumer, datasetVersion, sessionId, resultPublicKey);
        emit ExploreExportSubmitted(datasetId, exportId, sessionId, outputsCommitment);
    }
}
