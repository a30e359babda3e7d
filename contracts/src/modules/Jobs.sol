// SPDX-License-Identifier: Apache-2.0
// Privacy Mode jobs of the cce4long hub (on-chain): a consumer with an active rental requests a job;
// the authorized Privacy Plane signer records each lifecycle step; illegal transitions revert.
pragma solidity 0.8.37;

import {Rentals} from "./Rentals.sol";

/// @title Jobs
/// @notice A job id is `keccak256(abi.encode(consumer, salt))`: the consumer picks the salt, knows the
///         id before sending, and a resubmitted request with the same salt reverts instead of duplicating.
/// @dev Each lifecycle record rewrites one packed storage word (consumer, status, dataset version,
///      request time) and puts everything else in its event, to keep a record well under 40,000 gas
///      above the 21,000 base. The recorder of a step is the transaction's sender (an authorized signer).
///
///      Requested -> Dispatched -> KeyReleased -> OutputsSubmitted -> (decision) ...
///        OutputsSubmitted --AutoApproved--> Approved --> ResultReleased
///        OutputsSubmitted --AutoRejected--> Rejected
///        OutputsSubmitted --NeedsReview--> UnderReview
///        UnderReview --ReviewerApproved--> Approved
///        UnderReview --ReviewerRejected--> Rejected
///        UnderReview --ReviewerChangesRequested--> ChangesRequested --> OutputsSubmitted
///        any state except Rejected, ResultReleased, Failed, Cancelled --> Failed
///        Requested --(consumer)--> Cancelled
///      An Explore export held for review (ExploreExports.sol) enters this machine at OutputsSubmitted
///      through `_openOutputsForReview`, with no image and the session id as its spec commitment, and
///      then takes the same decision, release and failure records as a job's outputs.
abstract contract Jobs is Rentals {
    /// @notice Where a job is in its lifecycle.
    enum JobStatus {
        None,
        Requested,
        Dispatched,
        KeyReleased,
        OutputsSubmitted,
        UnderReview,
        ChangesRequested,
        Approved,
        Rejected,
        ResultReleased,
        Failed,
        Cancelled
    }

    /// @notice What the Output Gate (automatically) or a reviewer decided about a job's outputs.
    enum OutputDecision {
        None,
        AutoApproved,
        AutoRejected,
        NeedsReview,
        ReviewerApproved,
        ReviewerRejected,
        ReviewerChangesRequested
    }

    /// @notice A job as stored. The first four fields share one storage slot.
    struct JobRecord {
        address consumer;
        JobStatus status;
        uint32 datasetVersion;
        uint40 requestedAt;
        bytes32 datasetId;
        bytes32 imageDigest;
        bytes32 specCommitment;
        bytes32 resultPublicKey;
    }

    uint256 private constant _FAILABLE = (1 << uint256(JobStatus.Requested)) | (1 << uint256(JobStatus.Dispatched))
        | (1 << uint256(JobStatus.KeyReleased)) | (1 << uint256(JobStatus.OutputsSubmitted))
        | (1 << uint256(JobStatus.UnderReview)) | (1 << uint256(JobStatus.ChangesRequested))
        | (1 << uint256(JobStatus.Approved));

    mapping(bytes32 jobId => JobRecord) private _jobs;

    /// @notice A consumer requested a Privacy Mode job.
    /// @param imageDigest sha256 of the algorithm's OCI image manifest.
    /// @param specCommitment Commitment to the job spec and parameters (content-addressed off-chain).
    /// @param resultPublicKey X25519 public key the results are encrypted to.
    event JobRequested(
        bytes32 indexed datasetId,
        bytes32 indexed jobId,
        address indexed consumer,
        bytes32 imageDigest,
        bytes32 specCommitment,
        bytes32 resultPublicKey
    );

    /// @notice The consumer cancelled a job before it was dispatched.
    event JobCancelled(bytes32 indexed datasetId, bytes32 indexed jobId, address indexed consumer);

    /// @notice The Privacy Plane launched the job's VM against `datasetVersion`.
    event JobDispatched(bytes32 indexed datasetId, bytes32 indexed jobId, uint32 datasetVersion);

    /// @notice The dataset key was released to an attested VM with `measurementId`.
    event JobKeyReleased(bytes32 indexed datasetId, bytes32 indexed jobId, bytes32 indexed measurementId);

    /// @notice The job's outputs reached the Output Gate.
    /// @param outputsCommitment Commitment to the submitted output set (e.g. hash of its file hashes).
    event JobOutputsSubmitted(bytes32 indexed datasetId, bytes32 indexed jobId, bytes32 outputsCommitment);

    /// @notice The gate or a reviewer decided about the outputs.
    /// @param reviewer The deciding reviewer; zero for automatic decisions.
    /// @param decision The decision (see `OutputDecision`).
    /// @param decisionHash Hash of the decision record (the reviewer's EIP-712 signed decision, or the
    ///        gate's rule results).
    event JobOutputDecided(
        bytes32 indexed datasetId,
        bytes32 indexed jobId,
        address indexed reviewer,
        OutputDecision decision,
        bytes32 decisionHash
    );

    /// @notice Approved results were released with the signed Result Manifest `resultManifestHash`.
    event JobResultReleased(bytes32 indexed datasetId, bytes32 indexed jobId, bytes32 resultManifestHash);

    /// @notice The job failed with a reason code (the list lives in @cce4long/protocol chain/lifecycle).
    event JobFailed(bytes32 indexed datasetId, bytes32 indexed jobId, uint16 reasonCode);

    /// @notice A job with this id already exists.
    error JobsAlreadyRequested(bytes32 jobId);

    /// @notice No job with this id exists.
    error JobsUnknownJob(bytes32 jobId);

    /// @notice The job's consumer has no active rental of the dataset.
    error JobsRentalInactive(bytes32 datasetId, address consumer);

    /// @notice The image digest is not allowed for the dataset.
    error JobsImageDigestNotAllowed(bytes32 datasetId, bytes32 imageDigest);

    /// @notice The measurement is not allowed for the dataset.
    error JobsMeasurementNotAllowed(bytes32 datasetId, bytes32 measurementId);

    /// @notice The job is in `from`, which cannot move to `to`.
    error JobsIllegalTransition(bytes32 jobId, JobStatus from, JobStatus to);

    /// @notice A commitment, key or hash argument is zero.
    error JobsZeroValue();

    /// @notice Only the job's consumer may do this.
    error JobsNotConsumer(bytes32 jobId, address account);

    /// @notice The decision is `None`, or the reviewer argument does not fit the decision kind.
    error JobsInvalidDecision(OutputDecision decision, address reviewer);

    /// @notice The reviewer is not a reviewer of the job's dataset.
    error JobsNotDatasetReviewer(bytes32 datasetId, address reviewer);

    /// @notice Requests a Privacy Mode job. Needs an active rental and an allowed image digest.
    /// @param salt Any value; the id is `keccak256(abi.encode(msg.sender, salt))`.
    /// @param datasetId The dataset to run on.
    /// @param imageDigest sha256 of the algorithm's OCI image manifest.
    /// @param specCommitment Commitment to the job spec and parameters; non-zero.
    /// @param resultPublicKey X25519 public key for the results; non-zero.
    /// @return jobId The new job's id.
    function requestJob(
        bytes32 salt,
        bytes32 datasetId,
        bytes32 imageDigest,
        bytes32 specCommitment,
        bytes32 resultPublicKey
    ) external returns (bytes32 jobId) {
        if (specCommitment == bytes32(0) || resultPublicKey == bytes32(0)) revert JobsZeroValue();
        jobId = jobIdOf(msg.sender, salt);
        JobRecord storage job = _jobs[jobId];
        if (job.status != JobStatus.None) revert JobsAlreadyRequested(jobId);
        _requireDataset(datasetId);
        if (!isRentalActive(datasetId, msg.sender)) revert JobsRentalInactive(datasetId, msg.sender);
        if (!isImageDigestAllowed(datasetId, imageDigest)) revert JobsImageDigestNotAllowed(datasetId, imageDigest);
        job.consumer = msg.sender;
        job.status = JobStatus.Requested;
        job.requestedAt = uint40(block.timestamp);
        job.datasetId = datasetId;
        job.imageDigest = imageDigest;
        job.specCommitment = specCommitment;
        job.resultPublicKey = resultPublicKey;
        emit JobRequested(datasetId, jobId, msg.sender, imageDigest, specCommitment, resultPublicKey);
    }

    /// @notice Cancels a job that has not been dispatched yet. Its consumer only.
    function cancelJob(bytes32 jobId) external {
        JobRecord storage job = _jobs[jobId];
        if (job.status == JobStatus.None) revert JobsUnknownJob(jobId);
        if (job.consumer != msg.sender) revert JobsNotConsumer(jobId, msg.sender);
        _move(jobId, job, 1 << uint256(JobStatus.Requested), JobStatus.Cancelled);
        emit JobCancelled(job.datasetId, jobId, msg.sender);
    }

    /// @notice Records that the job's VM was launched against `datasetVersion`. Signers only.
    /// @dev Re-checks the rental and the image allowance: policy may have changed since the request.
    function recordJobDispatched(bytes32 jobId, uint32 datasetVersion) external onlyPrivacyPlaneSigner {
        JobRecord storage job = _jobs[jobId];
        _move(jobId, job, 1 << uint256(JobStatus.Requested), JobStatus.Dispatched);
        bytes32 datasetId = job.datasetId;
        if (datasetVersion == 0 || datasetVersion > _requireDataset(datasetId).versionCount) {
            revert DatasetsUnknownVersion(datasetId, datasetVersion);
        }
        _requireRental(datasetId, job.consumer);
        _requireImage(datasetId, job.imageDigest);
        job.datasetVersion = datasetVersion;
        emit JobDispatched(datasetId, jobId, datasetVersion);
    }

    /// @notice Records that the dataset key went to an attested VM. Signers only.
    /// @dev Reverts unless the measurement is allowed, the rental is still active and the image is
    ///      still allowed: the on-chain policy is enforced here, not only in the Privacy Plane.
    function recordJobKeyReleased(bytes32 jobId, bytes32 measurementId) external onlyPrivacyPlaneSigner {
        JobRecord storage job = _jobs[jobId];
        _move(jobId, job, 1 << uint256(JobStatus.Dispatched), JobStatus.KeyReleased);
        bytes32 datasetId = job.datasetId;
        if (!isMeasurementAllowed(datasetId, measurementId)) {
            revert JobsMeasurementNotAllowed(datasetId, measurementId);
        }
        _requireRental(datasetId, job.consumer);
        _requireImage(datasetId, job.imageDigest);
        emit JobKeyReleased(datasetId, jobId, measurementId);
    }

    /// @notice Records that the job's outputs reached the Output Gate (also after changes were
    ///         requested). Signers only.
    function recordJobOutputsSubmitted(bytes32 jobId, bytes32 outputsCommitment) external onlyPrivacyPlaneSigner {
        if (outputsCommitment == bytes32(0)) revert JobsZeroValue();
        JobRecord storage job = _jobs[jobId];
        _move(
            jobId,
            job,
            (1 << uint256(JobStatus.KeyReleased)) | (1 << uint256(JobStatus.ChangesRequested)),
            JobStatus.OutputsSubmitted
        );
        emit JobOutputsSubmitted(job.datasetId, jobId, outputsCommitment);
    }

    /// @notice Records an output decision. Signers only.
    /// @dev Automatic decisions (reviewer zero) apply to submitted outputs; reviewer decisions apply
    ///      to outputs under review and need a reviewer the provider named for the dataset. The
    ///      reviewer's signature itself is checked by the Privacy Plane; `decisionHash` commits to it.
    function recordJobOutputDecision(bytes32 jobId, OutputDecision decision, address reviewer, bytes32 decisionHash)
        external
        onlyPrivacyPlaneSigner
    {
        if (decisionHash == bytes32(0)) revert JobsZeroValue();
        JobRecord storage job = _jobs[jobId];
        bool automatic = decision == OutputDecision.AutoApproved || decision == OutputDecision.AutoRejected
            || decision == OutputDecision.NeedsReview;
        if (decision == OutputDecision.None || automatic != (reviewer == address(0))) {
            revert JobsInvalidDecision(decision, reviewer);
        }
        JobStatus to;
        if (decision == OutputDecision.AutoApproved || decision == OutputDecision.ReviewerApproved) {
            to = JobStatus.Approved;
        } else if (decision == OutputDecision.AutoRejected || decision == OutputDecision.ReviewerRejected) {
            to = JobStatus.Rejected;
        } else if (decision == OutputDecision.NeedsReview) {
            to = JobStatus.UnderReview;
        } else {
            to = JobStatus.ChangesRequested;
        }
        JobStatus from = automatic ? JobStatus.OutputsSubmitted : JobStatus.UnderReview;
        _move(jobId, job, 1 << uint256(from), to);
        bytes32 datasetId = job.datasetId;
        if (!automatic && !isReviewer(datasetId, reviewer)) revert JobsNotDatasetReviewer(datasetId, reviewer);
        emit JobOutputDecided(datasetId, jobId, reviewer, decision, decisionHash);
    }

    /// @notice Records that approved results were released with a signed Result Manifest. Signers only.
    function recordJobResultReleased(bytes32 jobId, bytes32 resultManifestHash) external onlyPrivacyPlaneSigner {
        if (resultManifestHash == bytes32(0)) revert JobsZeroValue();
        JobRecord storage job = _jobs[jobId];
        _move(jobId, job, 1 << uint256(JobStatus.Approved), JobStatus.ResultReleased);
        emit JobResultReleased(job.datasetId, jobId, resultManifestHash);
    }

    /// @notice Records that a job failed. Signers only; any non-final state may fail.
    function recordJobFailed(bytes32 jobId, uint16 reasonCode) external onlyPrivacyPlaneSigner {
        JobRecord storage job = _jobs[jobId];
        _move(jobId, job, _FAILABLE, JobStatus.Failed);
        emit JobFailed(job.datasetId, jobId, reasonCode);
    }

    /// @dev Starts a record at OutputsSubmitted for outputs made elsewhere than a job VM (an Explore
    ///      export): a fresh id, the consumer and dataset version given by the caller, which checked them.
    function _openOutputsForReview(
        bytes32 id,
        bytes32 datasetId,
        address consumer,
        uint32 datasetVersion,
        bytes32 specCommitment,
        bytes32 resultPublicKey
    ) internal {
        JobRecord storage job = _jobs[id];
        if (job.status != JobStatus.None) revert JobsAlreadyRequested(id);
        job.consumer = consumer;
        job.status = JobStatus.OutputsSubmitted;
        job.datasetVersion = datasetVersion;
        job.requestedAt = uint40(block.timestamp);
        job.datasetId = datasetId;
        job.specCommitment = specCommitment;
        job.resultPublicKey = resultPublicKey;
    }

    /// @notice The job's stored record; reverts when it is unknown.
    function getJob(bytes32 jobId) external view returns (JobRecord memory) {
        JobRecord memory job = _jobs[jobId];
        if (job.status == JobStatus.None) revert JobsUnknownJob(jobId);
        return job;
    }

    /// @notice The job's status (`None` when it is unknown).
    function jobStatus(bytes32 jobId) external view returns (JobStatus) {
        return _jobs[jobId].status;
    }

    /// @notice The id a consumer's salt produces.
    function jobIdOf(address consumer, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(consumer, salt));
    }

    /// @dev Moves `job` to `to` if its current status is in the `allowedFrom` bit set.
    function _move(bytes32 jobId, JobRecord storage job, uint256 allowedFrom, JobStatus to) private {
        JobStatus from = job.status;
        if (from == JobStatus.None) revert JobsUnknownJob(jobId);
        if ((allowedFrom >> uint256(from)) & 1 == 0) revert JobsIllegalTransition(jobId, from, to);
        job.status = to;
    }

    function _requireRental(bytes32 datasetId, address consumer) private view {
        if (!isRentalActive(datasetId, consumer)) revert JobsRentalInactive(datasetId, consumer);
    }

    function _requireImage(bytes32 datasetId, bytes32 imageDigest) private view {
        if (!isImageDigestAllowed(datasetId, imageDigest)) revert JobsImageDigestNotAllowed(datasetId, imageDigest);
    }
}
